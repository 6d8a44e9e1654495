import { beforeAll, expect, it } from 'vitest'
import request from 'supertest'
import type { App } from '../app.ts'
import { describeEachBackend } from '../../../test/db.ts'
import { signIn, testApp } from '../../../test/app.ts'

describeEachBackend('stations API', (db) => {
  let app: App
  let admin: string

  beforeAll(async () => {
    app = testApp(db())
    admin = await signIn(app, 'admin')
  })

  it('pages through a bbox: every non-retired station inside, once', async () => {
    const bbox = '112.85,28.1,113.05,28.3'
    const seen: number[] = []
    let cursor: string | null = null
    do {
      const res = await request(app)
        .get('/api/v1/stations')
        .query({ bbox, limit: 100, ...(cursor ? { cursor } : {}) })
      expect(res.status).toBe(200)
      expect(res.headers['content-type']).toMatch(/^application\/geo\+json/)
      expect(res.body.type).toBe('FeatureCollection')
      for (const f of res.body.features) {
        const [lon, lat] = f.geometry.coordinates
        expect(lon).toBeGreaterThanOrEqual(112.85)
        expect(lat).toBeLessThanOrEqual(28.3)
        expect(f.properties.status.availability).toBeTypeOf('string')
        seen.push(f.id)
      }
      cursor = res.body.next_cursor
    } while (cursor)
    const expected = await db()
      .knex('stations')
      .whereRaw('ST_X(location::geometry) BETWEEN 112.85 AND 113.05')
      .whereRaw('ST_Y(location::geometry) BETWEEN 28.1 AND 28.3')
      .whereNot('state', 'retired')
      .orderBy('id')
      .pluck('id')
    expect(expected.length).toBeGreaterThan(100)
    expect(seen).toEqual(expected)
  })

  it('admin creates, edits and retires a station; it shows up and disappears', async () => {
    const body = {
      code: 'HN-CS-TEST1',
      name: '测试新建驿站',
      location: { lon: 113.5, lat: 29.9 },
      capacity: 12,
      amenities: ['drinking_water', 'toilet'],
      opening_hours: 'Mo-Su 00:00-24:00',
    }
    const created = await request(app).post('/api/v1/stations').set('Cookie', admin).send(body)
    expect(created.status).toBe(201)
    expect(created.headers.location).toBe(`/api/v1/stations/${created.body.id}`)
    expect(created.body).toMatchObject({ ...body, state: 'active', timezone: 'Asia/Shanghai' })
    expect(created.body.status).toMatchObject({ availability: 'unknown', version: 0, stale: true })

    const dup = await request(app).post('/api/v1/stations').set('Cookie', admin).send(body)
    expect(dup.status).toBe(409)

    const near = await request(app).get('/api/v1/stations/nearest?lat=29.9&lon=113.5&limit=1')
    expect(near.body.results[0].id).toBe(created.body.id)
    expect(near.body.results[0].distance_m).toBeLessThan(0.01)

    const edited = await request(app)
      .patch(`/api/v1/stations/${created.body.id}`)
      .set('Cookie', admin)
      .send({ capacity: 20, location: { lon: 113.501, lat: 29.9 } })
    expect(edited.status).toBe(200)
    expect(edited.body).toMatchObject({ capacity: 20, location: { lon: 113.501, lat: 29.9 } })
    expect(new Date(edited.body.updated_at) >= new Date(created.body.updated_at)).toBe(true)

    const retired = await request(app)
      .patch(`/api/v1/stations/${created.body.id}`)
      .set('Cookie', admin)
      .send({ state: 'retired' })
    expect(retired.body.state).toBe('retired')
    const after = await request(app).get('/api/v1/stations/nearest?lat=29.9&lon=113.5&limit=1')
    expect(after.body.results[0].id).not.toBe(created.body.id)
    const still = await request(app).get(`/api/v1/stations/${created.body.id}`)
    expect(still.status).toBe(200)
  })

  it('unknown station → 404 problem', async () => {
    const res = await request(app).get('/api/v1/stations/999999')
    expect(res.status).toBe(404)
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/)
    const patch = await request(app)
      .patch('/api/v1/stations/999999')
      .set('Cookie', admin)
      .send({ capacity: 3 })
    expect(patch.status).toBe(404)
  })

  it('outline is a polygon around the stations', async () => {
    const res = await request(app).get('/api/v1/stations/outline')
    expect(res.status).toBe(200)
    expect(res.body.geometry.type).toMatch(/Polygon/)
  })

  it('serves an OpenAPI 3.1 document listing the routes', async () => {
    const res = await request(app).get('/api/v1/openapi.json')
    expect(res.status).toBe(200)
    expect(res.body.openapi).toBe('3.1.0')
    expect(Object.keys(res.body.components.securitySchemes).sort()).toEqual([
      'apiToken',
      'sessionCookie',
    ])
    const ops = Object.values(res.body.paths).flatMap((item) =>
      Object.values(
        item as Record<string, { operationId: string; security?: unknown[]; responses: object }>,
      ),
    )
    const ids = ops.map((op) => op.operationId)
    expect(ids.every(Boolean) && new Set(ids).size === ids.length).toBe(true)
    expect(ids).toContain('getStationsNearest')
    for (const op of ops) {
      const signedIn = '401' in op.responses && op.operationId !== 'postAuthLogin'
      expect(op.security?.length, op.operationId).toBe(signedIn ? 2 : 0)
    }
    for (const p of [
      '/api/v1/stations/nearest',
      '/api/v1/stations/{id}',
      '/api/v1/auth/login',
      '/api/v1/tiles/stations/{z}/{x}/{y}.mvt',
    ]) {
      expect(Object.keys(res.body.paths)).toContain(p)
    }
    const params = res.body.paths['/api/v1/stations/nearest'].get.parameters.map(
      (p: { name: string }) => p.name,
    )
    expect(params).toEqual(
      expect.arrayContaining([
        'lat',
        'lon',
        'limit',
        'radius_m',
        'amenities',
        'supplies',
        'open_now',
        'available',
      ]),
    )
  })
})
