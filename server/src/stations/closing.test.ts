import crypto from 'node:crypto'
import { beforeAll, expect, it } from 'vitest'
import request from 'supertest'
import type { App } from '../app.ts'
import { describeEachBackend } from '../../../test/db.ts'
import { signIn, testApp } from '../../../test/app.ts'

/** Friday 4 December 2026, 21:48 in China (UTC+8). */
const NOW = new Date('2026-12-04T13:48:00Z')
/** Out at sea, far from every seeded station: the stations below are the only ones near. */
const HERE = { lon: 120.5, lat: 24 }

interface Fixture {
  name: string
  hours: string
  state?: 'active' | 'temporarily_closed'
  capacity?: number
  chargers?: number
  report?: { occupancy: number; charging_points_in_use?: number }
}

// One every 100 m going north, in this order.
const FIXTURES: Fixture[] = [
  { name: 'closing', hours: 'Mo-Su 07:00-22:00', report: { occupancy: 0 } },
  { name: 'closed', hours: 'Mo-Su 08:00-20:00', report: { occupancy: 0 } },
  { name: 'allDay', hours: '24/7', report: { occupancy: 1 } },
  { name: 'paused', hours: '24/7', state: 'temporarily_closed' },
  {
    name: 'chargersTaken',
    hours: 'Mo-Su 06:00-23:00',
    chargers: 2,
    report: { occupancy: 0, charging_points_in_use: 2 },
  },
  {
    name: 'chargerFree',
    hours: 'Mo-Su 06:00-23:00',
    chargers: 2,
    report: { occupancy: 0, charging_points_in_use: 1 },
  },
  { name: 'full', hours: '24/7', capacity: 4, report: { occupancy: 4 } },
]

describeEachBackend('when stations close: closes_at, open_for, free chargers, ranking', (db) => {
  let app: App
  const ids: Record<string, number> = {}
  const names = new Map<number, string>()

  beforeAll(async () => {
    app = testApp(db(), { clock: () => NOW })
    const admin = await signIn(app, 'admin')
    for (const [i, f] of FIXTURES.entries()) {
      const created = await request(app)
        .post('/api/v1/stations')
        .set('Cookie', admin)
        .send({
          code: `HN-TEST-CLOSE-${i}`,
          name: f.name,
          location: { lon: HERE.lon, lat: HERE.lat + (i + 1) * 0.0009 },
          capacity: f.capacity ?? 10,
          charging_points: f.chargers ?? 0,
          amenities: f.chargers ? ['ebike_charging'] : ['drinking_water'],
          opening_hours: f.hours,
          state: f.state ?? 'active',
        })
      expect(created.status, JSON.stringify(created.body)).toBe(201)
      ids[f.name] = created.body.id
      names.set(created.body.id, f.name)
      if (f.report) {
        const res = await request(app)
          .post(`/api/v1/stations/${created.body.id}/reports`)
          .set('Cookie', admin)
          .set('Idempotency-Key', crypto.randomUUID())
          .send(f.report)
        expect(res.status, JSON.stringify(res.body)).toBe(201)
      }
    }
  })

  async function nearest(query: Record<string, string | number> = {}) {
    const res = await request(app)
      .get('/api/v1/stations/nearest')
      .query({ ...HERE, limit: 20, radius_m: 2000, ...query })
    expect(res.status, JSON.stringify(res.body)).toBe(200)
    return res.body.results as {
      id: number
      status: { closes_at: string | null; opens_at: string | null; open_now: boolean }
    }[]
  }
  const named = (results: { id: number }[]) => results.map((r) => names.get(r.id))

  it('says when each station closes, or opens, in every answer', async () => {
    const expected = {
      // 22:00 and 23:00 in China
      closing: { open_now: true, closes_at: '2026-12-04T14:00:00.000Z', opens_at: null },
      chargerFree: { open_now: true, closes_at: '2026-12-04T15:00:00.000Z', opens_at: null },
      // 08:00 tomorrow in China
      closed: { open_now: false, closes_at: null, opens_at: '2026-12-05T00:00:00.000Z' },
      allDay: { open_now: true, closes_at: null, opens_at: null },
      // reopens when its manager says so, not by its hours
      paused: { open_now: false, closes_at: null, opens_at: null },
    }
    const listed = new Map((await nearest()).map((r) => [names.get(r.id), r.status]))
    for (const [name, status] of Object.entries(expected)) {
      expect(listed.get(name), name).toMatchObject(status)
      const one = await request(app).get(`/api/v1/stations/${ids[name]}`)
      expect(one.body.status, name).toMatchObject(status)
    }
    const box = `${HERE.lon - 0.01},${HERE.lat},${HERE.lon + 0.01},${HERE.lat + 0.01}`
    const page = await request(app).get('/api/v1/stations').query({ bbox: box })
    const features = page.body.features as { id: number; properties: { status: object } }[]
    expect(features).toHaveLength(FIXTURES.length)
    for (const f of features) {
      const name = names.get(f.id)! as keyof typeof expected
      if (expected[name]) expect(f.properties.status, name).toMatchObject(expected[name])
    }
  })

  it('open_for leaves out a station that closes sooner', async () => {
    const open = named(await nearest({ open_now: 'true', order: 'distance' }))
    expect(open).toEqual(['closing', 'allDay', 'chargersTaken', 'chargerFree', 'full'])
    // 12 minutes to go
    expect(named(await nearest({ open_now: 'true', open_for: 12, order: 'distance' }))).toEqual(
      open,
    )
    const fifteen = ['allDay', 'chargersTaken', 'chargerFree', 'full']
    expect(named(await nearest({ open_now: 'true', open_for: 15, order: 'distance' }))).toEqual(
      fifteen,
    )
    // open_for alone asks for open stations
    expect(named(await nearest({ open_for: 15, order: 'distance' }))).toEqual(fifteen)
    // 72 minutes to 23:00
    expect(named(await nearest({ open_for: 72, order: 'distance' }))).toEqual(fifteen)
    expect(named(await nearest({ open_for: 73, order: 'distance' }))).toEqual(['allDay', 'full'])
    expect(named(await nearest({ open_for: 720, order: 'distance' }))).toEqual(['allDay', 'full'])
  })

  it('"has space" with e-bike charging means a free charger', async () => {
    expect(named(await nearest({ available: 'true', order: 'distance' }))).toEqual([
      'closing',
      'allDay',
      'chargersTaken',
      'chargerFree',
    ])
    const ebike = { available: 'true', amenities: 'ebike_charging' }
    expect(named(await nearest(ebike))).toEqual(['chargerFree'])
    expect(named(await nearest({ ...ebike, order: 'distance' }))).toEqual(['chargerFree'])
  })

  it('lists open stations with room first, then full ones, then closed ones', async () => {
    expect(named(await nearest())).toEqual([
      'closing',
      'allDay',
      'chargersTaken',
      'chargerFree',
      'full',
      'closed',
      'paused',
    ])
    // a nearer closed station after a farther open one, unless distance alone is asked for
    expect(named(await nearest({ limit: 2 }))).toEqual(['closing', 'allDay'])
    expect(named(await nearest({ order: 'distance' }))).toEqual(FIXTURES.map((f) => f.name))
    // with e-bike charging asked, every charger taken counts as full
    expect(named(await nearest({ amenities: 'ebike_charging' }))).toEqual([
      'chargerFree',
      'chargersTaken',
    ])
    expect(named(await nearest({ open_now: 'true' }))).toEqual([
      'closing',
      'allDay',
      'chargersTaken',
      'chargerFree',
      'full',
    ])
  })

  it('rejects a bad open_for or order with a clear 400', async () => {
    const bad: [Record<string, string | number>, RegExp][] = [
      [{ open_for: 721 }, /open_for/],
      [{ open_for: -1 }, /open_for/],
      [{ open_for: 'soon' }, /open_for/],
      [{ open_for: 1.5 }, /open_for/],
      [{ open_for: 15, open_now: 'false' }, /open_for: .*open_now=false/],
      [{ order: 'rating' }, /order/],
    ]
    for (const [query, detail] of bad) {
      const res = await request(app)
        .get('/api/v1/stations/nearest')
        .query({ ...HERE, ...query })
      expect(res.status, JSON.stringify(query)).toBe(400)
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/)
      expect(res.body.detail).toMatch(detail)
    }
  })
})
