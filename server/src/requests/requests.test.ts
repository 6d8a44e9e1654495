import { beforeAll, expect, it } from 'vitest'
import request from 'supertest'
import type { App } from '../app.ts'
import { describeEachBackend } from '../../../test/db.ts'
import { signIn, testApp, testConfig } from '../../../test/app.ts'

// A quiet corner of Hunan's bbox with no seeded demand, so counts here are ours alone.
const AREA = [109.0, 29.9, 109.1, 30.0]
const inArea = (i: number) => ({ lon: 109.01 + i * 0.001, lat: 29.95 })

describeEachBackend('station requests', (db) => {
  let app: App
  let planner: string

  beforeAll(async () => {
    app = testApp(db(), { config: testConfig({ STATION_REQUEST_RATE_LIMIT: '1000' }) })
    planner = await signIn(app, 'planner')
    await db()
      .knex('demand_points')
      .whereRaw('location::geometry && ST_MakeEnvelope(?, ?, ?, ?, 4326)', AREA)
      .delete()
  })

  const post = (body: unknown, to = app) =>
    request(to)
      .post('/api/v1/station-requests')
      .send(body as object)
  const count = async () => Number((await db().knex('station_requests').count({ n: '*' }))[0]!.n)

  it('anyone may ask for a station: 201 with what was stored', async () => {
    const res = await post({
      location: inArea(0),
      note: '  超市门口，骑手很多  ',
      amenities: ['drinking_water', 'ebike_charging'],
    })
    expect(res.status).toBe(201)
    expect(res.body).toMatchObject({
      location: inArea(0),
      note: '超市门口，骑手很多',
      amenities: ['drinking_water', 'ebike_charging'],
    })
    expect(res.body.id).toBeTypeOf('number')
    expect(new Date(res.body.created_at).getTime()).not.toBeNaN()
    const minimal = await post({ location: inArea(1) })
    expect(minimal.status).toBe(201)
    expect(minimal.body).toMatchObject({ note: '', amenities: [] })
  })

  it('retries under one Idempotency-Key record one request and answer the first', async () => {
    const key = crypto.randomUUID()
    const body = { location: inArea(4), note: '离线时提交', amenities: ['hot_water'] }
    const send = () => post(body).set('Idempotency-Key', key)
    const before = await count()
    const first = await send()
    expect(first.status).toBe(201)
    const again = await Promise.all([send(), send()])
    expect(again.map((r) => r.status)).toEqual([200, 200])
    for (const r of again) expect(r.body).toEqual(first.body)
    expect(await count()).toBe(before + 1)

    const bad = await post(body).set('Idempotency-Key', 'x'.repeat(201))
    expect(bad.status).toBe(400)
    expect(bad.body.errors[0].path).toBe('Idempotency-Key')
    expect(await count()).toBe(before + 1)
  })

  it('bad input is a 400 problem naming the field, and stores nothing', async () => {
    const before = await count()
    const cases: [unknown, string][] = [
      [{}, 'location'],
      [{ location: { lon: 113 } }, 'location.lat'],
      [{ location: { lon: 181, lat: 28 } }, 'location.lon'],
      [{ location: { lon: 113, lat: 28, alt: 5 } }, 'location'],
      [{ location: [113, 28] }, 'location'],
      [{ location: inArea(2), note: 'x'.repeat(501) }, 'note'],
      [{ location: inArea(2), note: 5 }, 'note'],
      [{ location: inArea(2), amenities: ['sauna'] }, 'amenities.0'],
      [{ location: inArea(2), amenities: ['toilet', 'toilet'] }, 'amenities'],
      [{ location: inArea(2), amenities: 'toilet' }, 'amenities'],
      [{ location: inArea(2), weight: 10 }, 'body'],
    ]
    for (const [body, path] of cases) {
      const res = await post(body)
      expect(res.status, JSON.stringify(body).slice(0, 80)).toBe(400)
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/)
      expect(res.body.errors.map((e: { path: string }) => e.path)).toContain(path)
    }
    expect((await post({ location: inArea(2), note: 'x'.repeat(500) })).status).toBe(201)
    expect(await count()).toBe(before + 1)
  })

  it('is rate-limited per client: 429 problem past the limit', async () => {
    const limited = testApp(db(), { config: testConfig({ STATION_REQUEST_RATE_LIMIT: '3' }) })
    const statuses: number[] = []
    let last: request.Response | undefined
    for (let i = 0; i < 5; i++) {
      last = await post({ location: inArea(3) }, limited)
      statuses.push(last.status)
    }
    expect(statuses).toEqual([201, 201, 201, 429, 429])
    expect(last!.headers['content-type']).toMatch(/^application\/problem\+json/)
    expect(last!.body).toMatchObject({ status: 429, title: 'Too Many Requests' })
    expect(last!.headers['retry-after']).toBeDefined()
  })

  it('planners and admins list them by bbox as paged GeoJSON; others may not', async () => {
    const bbox = AREA.join(',')
    const list = (query: object, cookie?: string) => {
      const req = request(app).get('/api/v1/station-requests').query(query)
      return cookie ? req.set('Cookie', cookie) : req
    }
    expect((await list({ bbox })).status).toBe(401)
    expect((await list({ bbox }, await signIn(app, 'manager001'))).status).toBe(403)
    expect((await list({ bbox }, await signIn(app, 'admin'))).status).toBe(200)
    expect((await list({ bbox: '109,30,108,31' }, planner)).status).toBe(400)
    expect((await list({ bbox, color: 'red' }, planner)).status).toBe(400)

    const expected = await db()
      .knex('station_requests')
      .whereRaw('location::geometry && ST_MakeEnvelope(?, ?, ?, ?, 4326)', AREA)
      .orderBy('id')
      .pluck('id')
    expect(expected.length).toBeGreaterThanOrEqual(6)
    const seen: number[] = []
    let cursor: string | null = null
    do {
      const res: request.Response = await list(
        { bbox, limit: 4, ...(cursor ? { cursor } : {}) },
        planner,
      )
      expect(res.status).toBe(200)
      expect(res.headers['content-type']).toMatch(/^application\/geo\+json/)
      expect(res.body.type).toBe('FeatureCollection')
      for (const f of res.body.features) {
        expect(f.geometry.type).toBe('Point')
        expect(f.properties).toHaveProperty('note')
        expect(f.properties).toHaveProperty('amenities')
        seen.push(f.id)
      }
      cursor = res.body.next_cursor
    } while (cursor)
    expect(seen).toEqual(expected)
  })

  it('count as demand of weight 1 in the coverage analyses', async () => {
    const gaps = () =>
      request(app)
        .get('/api/v1/coverage/gaps')
        .query({ bbox: AREA.join(','), include: 'all' })
        .set('Cookie', planner)
    const before = (await gaps()).body
    expect((await post({ location: inArea(50) })).status).toBe(201)
    const after = (await gaps()).body
    expect(after.summary.total_demand).toBe(before.summary.total_demand + 1)
    const requests = (body: { features: { properties: { requests: number } }[] }) =>
      body.features.reduce((a, f) => a + f.properties.requests, 0)
    expect(requests(after)).toBe(requests(before) + 1)
    expect(requests(after)).toBe(after.summary.total_demand)
  })
})
