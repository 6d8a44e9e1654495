import { beforeAll, expect, it } from 'vitest'
import request from 'supertest'
import type { Express } from 'express'
import { describeEachBackend } from '../../../test/db.ts'
import { seedTime, signIn, testApp } from '../../../test/app.ts'

const HOUR = 3_600_000

describeEachBackend('operations: what needs an admin’s attention', (db) => {
  let app: Express
  let admin: string
  let now: Date

  const count = async (sql: string) => Number((await db().knex.raw(sql)).rows[0].n)
  const get = (cookie: string, query = '') =>
    request(app).get(`/api/v1/operations${query}`).set('Cookie', cookie)

  beforeAll(async () => {
    now = new Date((await seedTime(db())).getTime() + 30 * 60_000)
    app = testApp(db(), { clock: () => now })
    admin = await signIn(app, 'admin')
  })

  it('counts what the database holds, for the provincial admin', async () => {
    const res = await get(admin, '?stale_hours=6&limit=5')
    expect(res.status).toBe(200)
    const since = new Date(now.getTime() - 6 * HOUR).toISOString()
    expect(res.body.counts).toEqual({
      stale: await count(`SELECT count(*) AS n FROM stations s
        LEFT JOIN station_status st ON st.station_id = s.id
        WHERE s.state = 'active' AND (st.reported_at IS NULL OR st.reported_at < '${since}')`),
      alerts: await count('SELECT count(*) AS n FROM supply_alerts WHERE closed_at IS NULL'),
      unmanaged: await count(`SELECT count(*) AS n FROM stations s WHERE s.state = 'active'
        AND NOT EXISTS (SELECT FROM station_managers m WHERE m.station_id = s.id)`),
    })
    expect(res.body.counts.stale).toBeGreaterThan(5)
    expect(res.body.stale).toHaveLength(5)
    expect(res.body.unmanaged.length).toBeLessThanOrEqual(5)
    // never reported first, then the oldest report
    const times = res.body.stale.map((s: { reported_at: string | null }) => s.reported_at)
    const reported = times.filter((x: string | null) => x !== null)
    expect(times.slice(0, times.length - reported.length).every((x: null) => x === null)).toBe(true)
    expect([...reported].sort()).toEqual(reported)
  })

  it('a city admin sees the city only; a report takes a station off the stale list', async () => {
    await request(app)
      .post('/api/v1/users')
      .set('Cookie', admin)
      .send({
        username: 'ops-cs',
        role: 'admin',
        region: { city: '长沙市' },
        password: 'ops-admin-password',
      })
    const city = await signIn(app, 'ops-cs', 'ops-admin-password')
    const res = await get(city, '?stale_hours=1&limit=1000')
    const ids = [...res.body.stale, ...res.body.unmanaged].map((s: { id: number }) => s.id)
    const cities = await db().knex('stations').whereIn('id', ids).distinct('city')
    expect(cities.map((c) => c.city)).toEqual(['长沙市'])
    const alertStations = res.body.alerts.map((a: { station_id: number }) => a.station_id)
    const alertCities = await db().knex('stations').whereIn('id', alertStations).distinct('city')
    expect(alertCities.map((c) => c.city).filter((c) => c !== '长沙市')).toEqual([])

    const target = res.body.stale.find((s: { id: number }) => s.id)!
    const report = await request(app)
      .post(`/api/v1/stations/${target.id}/reports`)
      .set('Cookie', admin)
      .set('Idempotency-Key', `ops-${target.id}`)
      .send({ occupancy: 1 })
    expect(report.status).toBe(201)
    const after = await get(city, '?stale_hours=1&limit=1000')
    expect(after.body.stale.map((s: { id: number }) => s.id)).not.toContain(target.id)
    expect(after.body.counts.stale).toBe(res.body.counts.stale - 1)
  })

  it('is for admins; bad input is 400', async () => {
    expect((await get(await signIn(app, 'planner'))).status).toBe(403)
    expect((await get(await signIn(app, 'manager001'))).status).toBe(403)
    expect((await request(app).get('/api/v1/operations')).status).toBe(401)
    const bad = await get(admin, '?stale_hours=0')
    expect(bad.status).toBe(400)
    expect(bad.headers['content-type']).toMatch(/^application\/problem\+json/)
  })
})
