import { beforeAll, expect, it } from 'vitest'
import request from 'supertest'
import type { App } from '../app.ts'
import { describeEachBackend } from '../../../test/db.ts'
import { seedTime, signIn, testApp } from '../../../test/app.ts'
import { operations } from './schema.ts'

const HOUR = 3_600_000
const CITY = '长沙市'

interface Place {
  id: number
  city: string
}
interface Managed {
  id: number
  manager: number
}
interface Alert {
  station_id: number
}
const ids = (rows: { id: number }[]) => rows.map((r) => r.id)
const alertStations = (rows: Alert[]) => rows.map((a) => a.station_id)

describeEachBackend('operations: what needs an admin’s attention', (db) => {
  let app: App
  let admin: string
  let cityAdmin: string
  let now: Date
  // Active stations with their one manager: two in the city (one never reported), one outside.
  let inCity: Managed
  let idle: Managed
  let outside: Managed
  let reports = 0

  const get = (cookie: string, query = '') =>
    request(app).get(`/api/v1/operations${query}`).set('Cookie', cookie)
  /** The first active station in the city, reported or never, with its one manager. */
  const managedStation = (city: string, reported: boolean) =>
    db()
      .knex('stations as s')
      .join('station_managers as m', 'm.station_id', 's.id')
      .leftJoin('station_status as st', 'st.station_id', 's.id')
      .select('s.id', 'm.user_id as manager')
      .where({ 's.state': 'active', 's.city': city })
      .modify((q) => (reported ? q.whereNotNull('st.reported_at') : q.whereNull('st.reported_at')))
      .orderBy('s.id')
      .first() as Promise<Managed>
  const assign = (method: 'put' | 'delete', station: Managed) => {
    const url = `/api/v1/users/${station.manager}/stations/${station.id}`
    return request(app)[method](url).set('Cookie', admin)
  }
  const report = (stationId: number, body: object) =>
    request(app)
      .post(`/api/v1/stations/${stationId}/reports`)
      .set('Cookie', admin)
      .set('Idempotency-Key', `ops-${++reports}`)
      .send(body)
  const patchState = (stationId: number, state: string) =>
    request(app).patch(`/api/v1/stations/${stationId}`).set('Cookie', admin).send({ state })

  /** The counts by plain SQL, in the whole province or one city. */
  async function sqlCounts(staleHours: number, city?: string) {
    const since = new Date(now.getTime() - staleHours * HOUR)
    const inTheCity = city ? 'AND s.city = :city' : ''
    const count = async (sql: string) =>
      Number((await db().knex.raw(sql, { since, city: city ?? null })).rows[0].n)
    return {
      stale: await count(`SELECT count(*) AS n FROM stations s
        LEFT JOIN station_status st ON st.station_id = s.id
        WHERE s.state = 'active' ${inTheCity}
          AND (st.reported_at IS NULL OR st.reported_at < :since)`),
      alerts: await count(`SELECT count(*) AS n FROM supply_alerts a
        JOIN stations s ON s.id = a.station_id
        WHERE a.closed_at IS NULL AND s.state <> 'retired' ${inTheCity}`),
      unmanaged: await count(`SELECT count(*) AS n FROM stations s
        WHERE s.state = 'active' ${inTheCity}
          AND NOT EXISTS (SELECT FROM station_managers m WHERE m.station_id = s.id)`),
    }
  }

  beforeAll(async () => {
    now = new Date((await seedTime(db())).getTime() + 30 * 60_000)
    app = testApp(db(), { clock: () => now })
    admin = await signIn(app, 'admin')
    const created = await request(app)
      .post('/api/v1/users')
      .set('Cookie', admin)
      .send({
        username: 'ops-cs',
        role: 'admin',
        region: { city: CITY },
        password: 'ops-admin-password',
      })
    expect(created.status).toBe(201)
    cityAdmin = await signIn(app, 'ops-cs', 'ops-admin-password')
    inCity = await managedStation(CITY, true)
    idle = await managedStation(CITY, false)
    outside = await managedStation('株洲市', true)
  })

  it('lists open alerts and unmanaged stations, each admin in their region', async () => {
    for (const station of [inCity, outside]) {
      expect(
        (await report(station.id, { occupancy: 1, supplies: { drinking_water: 5 } })).status,
      ).toBe(201)
      expect((await assign('delete', station)).status).toBe(204)
    }
    const all = await get(admin)
    expect(ids(all.body.unmanaged)).toEqual(expect.arrayContaining([inCity.id, outside.id]))
    expect(alertStations(all.body.alerts)).toEqual(expect.arrayContaining([inCity.id, outside.id]))

    const city = await get(cityAdmin, '?stale_hours=1&limit=1000')
    expect(city.status).toBe(200)
    expect(ids(city.body.unmanaged)).toContain(inCity.id)
    expect(alertStations(city.body.alerts)).toContain(inCity.id)
    expect(city.body.stale.length).toBeGreaterThan(0)
    const places: Place[] = [...city.body.stale, ...city.body.unmanaged]
    expect(new Set(places.map((p) => p.city))).toEqual(new Set([CITY]))
    const alertCities = await db()
      .knex('stations')
      .whereIn('id', alertStations(city.body.alerts))
      .distinct('city')
    expect(alertCities.map((c) => c.city)).toEqual([CITY])
    expect(city.body.counts).toEqual(await sqlCounts(1, CITY))
  })

  it('counts what the database holds, for the provincial admin', async () => {
    const res = await get(admin, '?stale_hours=6&limit=200')
    expect(res.status).toBe(200)
    expect(operations.safeParse(res.body).error?.issues ?? []).toEqual([])
    expect(res.body.stale_hours).toBe(6)
    expect(res.body.counts).toEqual(await sqlCounts(6))
    expect(res.body.counts.alerts).toBeGreaterThanOrEqual(2)
    expect(res.body.counts.unmanaged).toBeGreaterThanOrEqual(2)
    expect(res.body.counts.stale).toBeGreaterThan(200)
    expect(res.body.stale).toHaveLength(200)

    // never reported first, then the oldest report
    const stale: { reported_at: string | null; hours_since: number | null }[] = res.body.stale
    const firstReported = stale.findIndex((s) => s.reported_at !== null)
    expect(firstReported).toBeGreaterThan(0)
    expect(stale.slice(0, firstReported).every((s) => s.hours_since === null)).toBe(true)
    const reported = stale.slice(firstReported)
    expect(reported.every((s) => s.reported_at !== null && s.hours_since! > 6)).toBe(true)
    const times = reported.map((s) => s.reported_at)
    expect([...times].sort()).toEqual(times)

    const few = await get(admin, '?stale_hours=6&limit=1')
    expect([few.body.stale.length, few.body.alerts.length, few.body.unmanaged.length]).toEqual([
      1, 1, 1,
    ])
    expect(few.body.counts).toEqual(res.body.counts)
  })

  it('a station assigned again is managed', async () => {
    const before = await get(cityAdmin)
    expect((await assign('put', inCity)).status).toBe(204)
    const after = await get(cityAdmin)
    expect(ids(after.body.unmanaged)).not.toContain(inCity.id)
    expect(after.body.counts.unmanaged).toBe(before.body.counts.unmanaged - 1)
  })

  it('a report takes a station off the stale list', async () => {
    const before = await get(cityAdmin, '?stale_hours=1&limit=1000')
    expect(ids(before.body.stale)).toContain(idle.id)
    expect((await report(idle.id, { occupancy: 1 })).status).toBe(201)
    const after = await get(cityAdmin, '?stale_hours=1&limit=1000')
    expect(ids(after.body.stale)).not.toContain(idle.id)
    expect(after.body.counts.stale).toBe(before.body.counts.stale - 1)
  })

  it('a closed station is neither stale nor unmanaged; a retired one appears nowhere', async () => {
    const closing = await managedStation(CITY, false)
    expect(ids((await get(cityAdmin, '?limit=1000')).body.stale)).toContain(closing.id)
    expect((await patchState(closing.id, 'temporarily_closed')).status).toBe(200)
    expect((await assign('delete', closing)).status).toBe(204)
    const city = await get(cityAdmin, '?limit=1000')
    expect(ids(city.body.stale)).not.toContain(closing.id)
    expect(ids(city.body.unmanaged)).not.toContain(closing.id)

    // outside: unmanaged, with its low-water alert still open
    expect((await patchState(outside.id, 'retired')).status).toBe(200)
    const all = await get(admin, '?limit=1000')
    expect(ids(all.body.unmanaged)).not.toContain(outside.id)
    expect(alertStations(all.body.alerts)).not.toContain(outside.id)
    expect(all.body.counts).toEqual(await sqlCounts(24))
    // retiring closed its alert: no manager or planner is left waiting on it either
    const open = await db()
      .knex('supply_alerts')
      .where({ station_id: outside.id })
      .whereNull('closed_at')
    expect(open).toEqual([])
    const alerts = await request(app).get('/api/v1/alerts').set('Cookie', admin)
    expect(alerts.body.alerts.map((a: { station_id: number }) => a.station_id)).not.toContain(
      outside.id,
    )
  })

  it('is for admins; bad input is 400', async () => {
    expect((await get(await signIn(app, 'planner'))).status).toBe(403)
    expect((await get(await signIn(app, 'manager001'))).status).toBe(403)
    expect((await request(app).get('/api/v1/operations')).status).toBe(401)
    for (const query of ['?stale_hours=0', '?stale_hours=721', '?limit=0', '?stale_hours=1.5']) {
      const bad = await get(admin, query)
      expect(bad.status, query).toBe(400)
      expect(bad.headers['content-type']).toMatch(/^application\/problem\+json/)
    }
  })
})
