import { beforeAll, expect, it } from 'vitest'
import request from 'supertest'
import seedrandom from 'seedrandom'
import type { App } from '../app.ts'
import { describeEachBackend } from '../../../test/db.ts'
import { metres, type LonLat } from '../../../contract/sphere.ts'
import { signIn, testApp } from '../../../test/app.ts'

interface Suggestion {
  location: LonLat
  added_demand: number
  coverage_ratio: number
}
interface Place {
  id: number
  at: LonLat
  weight: number
}

/** Stations bucketed by 0.1° so a brute-force count only looks at the buckets around a point. */
function bucketed(stations: Place[]) {
  const key = (lon: number, lat: number) => `${Math.floor(lon * 10)},${Math.floor(lat * 10)}`
  const buckets = new Map<string, Place[]>()
  for (const s of stations) {
    const k = key(...s.at)
    buckets.set(k, [...(buckets.get(k) ?? []), s])
  }
  /** Every station within `reach` metres (at most 9 km: the neighbouring buckets suffice). */
  return (at: LonLat, reach: number) => {
    const out: Place[] = []
    for (let dx = -1; dx <= 1; dx++)
      for (let dy = -1; dy <= 1; dy++)
        for (const s of buckets.get(key(at[0] + dx / 10, at[1] + dy / 10)) ?? [])
          if (metres(s.at, at) <= reach) out.push(s)
    return out
  }
}

describeEachBackend('coverage against brute force over the seeded data', (db) => {
  let app: App
  let planner: string
  let demand: Place[]
  let within: (at: LonLat, reach: number) => Place[]
  let active: Place[]

  const places = async (sql: string) =>
    (
      (await db().knex.raw(sql)) as {
        rows: { id: number; lon: number; lat: number; weight: number }[]
      }
    ).rows.map((r) => ({ id: r.id, at: [r.lon, r.lat] as LonLat, weight: r.weight }))

  beforeAll(async () => {
    app = testApp(db())
    planner = await signIn(app, 'planner')
    // A few station requests, so they are part of the demand checked.
    const requested: LonLat[] = [
      [112.95, 28.2],
      [112.97, 28.19],
      [113.1, 28.3],
    ]
    for (const [lon, lat] of requested)
      await db().knex.raw(
        `INSERT INTO station_requests (location)
         VALUES (ST_SetSRID(ST_MakePoint(?, ?), 4326)::geography)`,
        [lon, lat],
      )
    demand = await places(`
      SELECT id, ST_X(location::geometry) AS lon, ST_Y(location::geometry) AS lat,
             weight::float8 AS weight
      FROM demand_points
      UNION ALL
      SELECT -id, ST_X(location::geometry), ST_Y(location::geometry), 1 FROM station_requests`)
    active = await places(`
      SELECT id, ST_X(location::geometry) AS lon, ST_Y(location::geometry) AS lat, 1 AS weight
      FROM stations WHERE state = 'active'`)
    within = bucketed(active)
  })

  const get = (path: string, query: Record<string, unknown>) =>
    request(app).get(`/api/v1/coverage/${path}`).query(query).set('Cookie', planner)

  function bruteForce(bbox: number[], reach: number, m: number) {
    const [w, s, e, n] = bbox as [number, number, number, number]
    const inside = demand.filter(({ at: [x, y] }) => x >= w && x <= e && y >= s && y <= n)
    const total = inside.reduce((a, d) => a + d.weight, 0)
    const covered = inside
      .filter((d) => within(d.at, reach).length >= m)
      .reduce((a, d) => a + d.weight, 0)
    return { total, covered }
  }

  it('coverage_ratio equals a per-point brute force for random bboxes and radii', async () => {
    const rnd = seedrandom('coverage-oracle')
    for (let i = 0; i < 8; i++) {
      // Half of the boxes around the Changsha core, where coverage is mixed.
      const size = 0.1 + rnd() * 0.9
      const w = i % 2 ? 112.6 + rnd() * 0.3 : 109 + rnd() * 4.2
      const s = i % 2 ? 27.9 + rnd() * 0.3 : 24.8 + rnd() * 4.2
      const bbox = [w, s, w + size, s + size * 0.8].map((x) => Number(x.toFixed(4)))
      const radius = Math.round(200 + rnd() * 4800)
      const m = 1 + Math.floor(rnd() * 2)
      const res = await get('gaps', {
        bbox: bbox.join(','),
        radius_m: radius,
        min_stations: m,
        cell_m: 1000,
      })
      expect(res.status, JSON.stringify(res.body)).toBe(200)
      const { total, covered } = bruteForce(bbox, radius, m)
      const summary = res.body.summary
      expect(summary.total_demand).toBeCloseTo(total, 6)
      expect(summary.covered_demand).toBeCloseTo(covered, 6)
      expect(summary.coverage_ratio).toBeCloseTo(total > 0 ? covered / total : 0, 12)
    }
  })

  it('each cell: demand adds up; nearest station and reach from its centre', async () => {
    const bbox = [112.85, 28.1, 113.05, 28.3]
    const radius = 1500
    const res = await get('gaps', { bbox: bbox.join(','), radius_m: radius, include: 'all' })
    const cells = res.body.features as {
      geometry: { coordinates: number[][][] }
      properties: Record<string, number>
    }[]
    expect(cells.length).toBeGreaterThan(50)
    const sum = (f: (c: (typeof cells)[number]) => number) => cells.reduce((a, c) => a + f(c), 0)
    expect(sum((c) => c.properties.demand!)).toBeCloseTo(res.body.summary.total_demand, 6)
    expect(sum((c) => c.properties.covered_demand!)).toBeCloseTo(res.body.summary.covered_demand, 6)
    for (const c of cells) {
      // The mean of the corners is the centre to within centimetres at 500 m.
      const corners = c.geometry.coordinates[0]!.slice(0, 6)
      const centre: LonLat = [
        corners.reduce((a, p) => a + p[0]!, 0) / 6,
        corners.reduce((a, p) => a + p[1]!, 0) / 6,
      ]
      const distances = active.map((s) => ({ id: s.id, d: metres(s.at, centre) }))
      const nearest = distances.reduce((a, b) => (b.d < a.d ? b : a))
      expect(c.properties.nearest_station_id).toBe(nearest.id)
      expect(Math.abs(c.properties.nearest_distance_m! - nearest.d)).toBeLessThan(1)
      // Stations within a metre of the reach may fall either way with a centimetre-off centre.
      const surely = distances.filter((s) => s.d <= radius - 1).length
      const maybe = distances.filter((s) => s.d <= radius + 1).length
      expect(c.properties.stations_within_reach).toBeGreaterThanOrEqual(surely)
      expect(c.properties.stations_within_reach).toBeLessThanOrEqual(maybe)
      expect(c.properties.gap).toBe(c.properties.stations_within_reach! < 1)
    }
  })

  it('suggestions over Changsha: added_demand never increases and what-if agrees', async () => {
    const bbox = [112.6, 27.95, 113.2, 28.5]
    for (const m of [1, 2]) {
      const res = await get('suggestions', {
        bbox: bbox.join(','),
        radius_m: 1000,
        k: 10,
        min_stations: m,
      })
      expect(res.status, JSON.stringify(res.body)).toBe(200)
      const picks = res.body.suggestions as Suggestion[]
      expect(picks).toHaveLength(10)
      const { total, covered } = bruteForce(bbox, 1000, m)
      expect(res.body.summary.coverage_ratio).toBeCloseTo(covered / total, 12)
      for (let i = 1; i < picks.length; i++) {
        expect(picks[i]!.added_demand).toBeLessThanOrEqual(picks[i - 1]!.added_demand)
        expect(picks[i]!.coverage_ratio).toBeGreaterThanOrEqual(picks[i - 1]!.coverage_ratio)
      }
      const whatIf = await request(app)
        .post('/api/v1/coverage/what-if')
        .set('Cookie', planner)
        .send({ bbox, radius_m: 1000, min_stations: m, sites: picks.map((p) => p.location) })
      expect(whatIf.body.after.coverage_ratio).toBeCloseTo(picks.at(-1)!.coverage_ratio, 12)
    }
  })

  it('summary by city: every city, adding up to a brute force over all demand', async () => {
    const res = await get('summary', { radius_m: 2000, min_stations: 2 })
    expect(res.status, JSON.stringify(res.body)).toBe(200)
    const cities = res.body.cities as Record<string, number>[]
    const seeded = await db().knex('stations').distinct('city').pluck('city')
    expect(cities.map((c) => c.city).sort()).toEqual([...seeded].sort())
    const total = demand.reduce((a, d) => a + d.weight, 0)
    const covered = demand
      .filter((d) => within(d.at, 2000).length >= 2)
      .reduce((a, d) => a + d.weight, 0)
    expect(res.body.total.total_demand).toBeCloseTo(total, 6)
    expect(res.body.total.covered_demand).toBeCloseTo(covered, 6)
    expect(cities.reduce((a, c) => a + c.covered_demand!, 0)).toBeCloseTo(covered, 6)
    expect(cities.reduce((a, c) => a + c.active_stations!, 0)).toBe(active.length)
    for (const c of cities)
      expect(c.coverage_ratio).toBeCloseTo(c.covered_demand! / c.total_demand!, 12)
  })
})
