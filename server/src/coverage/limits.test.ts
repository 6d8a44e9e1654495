import { beforeAll, expect, it } from 'vitest'
import request from 'supertest'
import type { App } from '../app.ts'
import { describeEachBackend } from '../../../test/db.ts'
import { signIn, testApp, testConfig } from '../../../test/app.ts'
import { gapsQuery } from './schema.ts'
import { findGaps } from './queries.ts'

const CHANGSHA = '112.85,28.1,113.05,28.3'

describeEachBackend('coverage limits, auth and cache', (db, backend) => {
  let app: App
  let planner: string

  beforeAll(async () => {
    app = testApp(db())
    planner = await signIn(app, 'planner')
  })

  const routes = [
    ['get', '/api/v1/coverage/gaps', { bbox: CHANGSHA }],
    ['get', '/api/v1/coverage/suggestions', { bbox: CHANGSHA, k: 2 }],
    ['get', '/api/v1/coverage/summary', {}],
    [
      'post',
      '/api/v1/coverage/what-if',
      { bbox: [112.85, 28.1, 113.05, 28.3], sites: [[113, 28.2]] },
    ],
  ] as const

  const call = (to: App, [method, path, params]: (typeof routes)[number], cookie?: string) => {
    const req =
      method === 'get' ? request(to).get(path).query(params) : request(to).post(path).send(params)
    return cookie ? req.set('Cookie', cookie) : req
  }

  it('planners and admins may ask; managers get 403, anonymous 401', async () => {
    const admin = await signIn(app, 'admin')
    const manager = await signIn(app, 'manager001')
    for (const route of routes) {
      expect((await call(app, route)).status, route[1]).toBe(401)
      const forbidden = await call(app, route, manager)
      expect(forbidden.status, route[1]).toBe(403)
      expect(forbidden.headers['content-type']).toMatch(/^application\/problem\+json/)
      expect((await call(app, route, planner)).status, route[1]).toBe(200)
      expect((await call(app, route, admin)).status, route[1]).toBe(200)
    }
  })

  it('rejects out-of-bounds and unknown input with a 400 problem', async () => {
    const gaps = (q: Record<string, unknown>) =>
      request(app).get('/api/v1/coverage/gaps').query(q).set('Cookie', planner)
    const bad: Record<string, unknown>[] = [
      {},
      { bbox: '112,28,113' },
      { bbox: '113,28,112,29' },
      { bbox: '100,20,115,30' },
      { bbox: CHANGSHA, radius: 1000 },
      { bbox: CHANGSHA, radius_m: 5 },
      { bbox: CHANGSHA, radius_m: 10_001 },
      { bbox: CHANGSHA, radius_m: 'near' },
      { bbox: CHANGSHA, radius_m: 1000, minutes: 15 },
      { bbox: CHANGSHA, mode: 'walk' },
      { bbox: CHANGSHA, minutes: 31, mode: 'walk' },
      { bbox: CHANGSHA, minutes: 15, mode: 'car' },
      { bbox: CHANGSHA, min_stations: 0 },
      { bbox: CHANGSHA, min_stations: 6 },
      { bbox: CHANGSHA, cell_m: 99 },
      { bbox: CHANGSHA, cell_m: 20_001 },
      { bbox: CHANGSHA, include: 'some' },
    ]
    for (const q of bad) {
      const res = await gaps(q)
      expect(res.status, JSON.stringify(q)).toBe(400)
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/)
      expect(res.body.errors.length).toBeGreaterThan(0)
    }
    const suggestions = (q: Record<string, unknown>) =>
      request(app).get('/api/v1/coverage/suggestions').query(q).set('Cookie', planner)
    expect((await suggestions({ bbox: CHANGSHA, k: 0 })).status).toBe(400)
    expect((await suggestions({ bbox: CHANGSHA, k: 51 })).status).toBe(400)
    const summary = await request(app)
      .get('/api/v1/coverage/summary')
      .query({ group_by: 'district' })
      .set('Cookie', planner)
    expect(summary.status).toBe(400)
  })

  it('refuses a grid of more than 250,000 cells before querying, with a hint', async () => {
    const statements: string[] = []
    const listen = (q: { sql: string }) => statements.push(q.sql)
    db().knex.on('query', listen)
    try {
      const res = await request(app)
        .get('/api/v1/coverage/gaps')
        .query({ bbox: '108.8,24.65,114.25,30.1', cell_m: 500 })
        .set('Cookie', planner)
      expect(res.status).toBe(400)
      expect(res.body.errors[0].path).toBe('cell_m')
      expect(res.body.detail).toMatch(/about 501,\d{3} cells, more than 250,000: use cell_m=710/)
      expect(statements.filter((s) => /demand_points/.test(s))).toEqual([])
      // The hinted size is accepted.
      const ok = await request(app)
        .get('/api/v1/coverage/suggestions')
        .query({ bbox: '108.8,24.65,114.25,30.1', cell_m: 710, k: 1 })
        .set('Cookie', planner)
      expect(ok.status).toBe(200)
    } finally {
      db().knex.off('query', listen)
    }
  })

  it('what-if validates its body: bounded sites, no unknown fields', async () => {
    const post = (body: object) =>
      request(app).post('/api/v1/coverage/what-if').set('Cookie', planner).send(body)
    const base = { bbox: [112.85, 28.1, 113.05, 28.3], radius_m: 800 }
    const site = [113, 28.2]
    for (const body of [
      { ...base, sites: [] },
      { ...base, sites: Array.from({ length: 101 }, () => site) },
      { ...base, sites: [[113, 95]] },
      { ...base, sites: [[113]] },
      { ...base, sites: [site], extra: true },
      { ...base, sites: [site], radius_m: '800' },
      { ...base, sites: [site], bbox: [113.05, 28.1, 112.85, 28.3] },
      { ...base, sites: [site], minutes: 10 },
    ]) {
      const res = await post(body)
      expect(res.status, JSON.stringify(body).slice(0, 200)).toBe(400)
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/)
    }
    expect((await post({ ...base, sites: Array.from({ length: 100 }, () => site) })).status).toBe(
      200,
    )
  })

  it('serves repeated questions from the cache until any process changes the data', async () => {
    const q = { bbox: CHANGSHA, radius_m: 700, cell_m: 400 }
    const gaps = (to: App) =>
      request(to).get('/api/v1/coverage/gaps').query(q).set('Cookie', planner)
    const first = await gaps(app)
    expect(first.headers['x-cache']).toBe('miss')
    const again = await gaps(app)
    expect(again.headers['x-cache']).toBe('hit')
    expect(again.body).toEqual(first.body)

    // Another server process on the same database takes a station request.
    const other = testApp(db())
    expect(
      (
        await request(other)
          .post('/api/v1/station-requests')
          .send({ location: { lon: 112.95, lat: 28.2 } })
      ).status,
    ).toBe(201)
    const afterRequest = await gaps(app)
    expect(afterRequest.headers['x-cache']).toBe('miss')
    expect(afterRequest.body.summary.total_demand).toBe(first.body.summary.total_demand + 1)

    // A station closing changes coverage; a renamed one does not.
    const station = await db()
      .knex('stations')
      .where({ state: 'active' })
      .whereRaw(
        'ST_DWithin(location, ST_SetSRID(ST_MakePoint(112.95, 28.2), 4326)::geography, 2000)',
      )
      .first('id')
    await db().knex('stations').where({ id: station.id }).update({ name: 'Renamed' })
    expect((await gaps(app)).headers['x-cache']).toBe('hit')
    await db().knex('stations').where({ id: station.id }).update({ state: 'temporarily_closed' })
    const afterClose = await gaps(app)
    expect(afterClose.headers['x-cache']).toBe('miss')
    expect(afterClose.body.summary.covered_demand).toBeLessThanOrEqual(
      afterRequest.body.summary.covered_demand,
    )
    await db().knex('demand_points').where('id', 1).delete()
    expect((await gaps(app)).headers['x-cache']).toBe('miss')
  })

  // The embedded database cannot cancel a running statement, so only PostgreSQL is asked.
  if (backend === 'postgis')
    it('cancels a heavy analysis past its statement timeout: 503', async () => {
      const impatient = testApp(db(), {
        config: testConfig({ COVERAGE_STATEMENT_TIMEOUT_MS: '100' }),
      })
      const res = await request(impatient)
        .get('/api/v1/coverage/summary')
        .query({ radius_m: 10_000, min_stations: 5 })
        .set('Cookie', await signIn(impatient, 'planner'))
      expect(res.status).toBe(503)
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/)
      // The timeout was local to that transaction.
      const { rows } = await db().knex.raw('SHOW statement_timeout')
      expect(rows[0].statement_timeout).not.toBe('100ms')
    })

  it('finds demand and stations through their spatial indexes', async () => {
    const statements: { sql: string; bindings: unknown[] }[] = []
    const listen = (q: { sql: string; bindings: unknown[] }) => statements.push(q)
    db().knex.on('query', listen)
    try {
      await findGaps(db().knex, gapsQuery.parse({ bbox: CHANGSHA }), 10_000)
    } finally {
      db().knex.off('query', listen)
    }
    const sql = statements.find((s) => /ST_HexagonGrid/.test(s.sql))!
    const plan = await db().knex.transaction(async (trx) => {
      await trx.raw('SET LOCAL enable_seqscan = off')
      const { rows } = await trx.raw(
        `EXPLAIN ${sql.sql.replace(/\$\d+/g, '?')}`,
        sql.bindings as never,
      )
      return rows.map((r: Record<string, string>) => r['QUERY PLAN']).join('\n')
    })
    expect(plan).toMatch(/demand_points_location_geom_gix/)
    expect(plan).toMatch(/station_requests_location_geom_gix/)
    expect(plan).toMatch(/Index Cond: \(location && _st_expand/)
    expect(plan).toMatch(/Order By: \((s\.)?location <-> /)
  })

  it('documents the coverage routes in OpenAPI', async () => {
    const doc = (await request(app).get('/api/v1/openapi.json')).body
    for (const p of [
      '/api/v1/coverage/gaps',
      '/api/v1/coverage/suggestions',
      '/api/v1/coverage/summary',
      '/api/v1/coverage/what-if',
      '/api/v1/station-requests',
    ])
      expect(Object.keys(doc.paths)).toContain(p)
    const params = doc.paths['/api/v1/coverage/gaps'].get.parameters as {
      name: string
      description?: string
    }[]
    expect(params.map((p) => p.name)).toEqual(
      expect.arrayContaining([
        'bbox',
        'radius_m',
        'minutes',
        'mode',
        'min_stations',
        'cell_m',
        'include',
      ]),
    )
    expect(params.find((p) => p.name === 'cell_m')!.description).toMatch(/ST_HexagonGrid.*edge/)
    expect(doc.paths['/api/v1/coverage/gaps'].get.description).toMatch(/4\.5 km\/h.*15 km\/h.*1\.3/)
  })
})
