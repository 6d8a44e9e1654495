import { beforeAll, expect, it } from 'vitest'
import request from 'supertest'
import type { App } from '../app.ts'
import { describeEachBackend } from '../../../test/db.ts'
import type { LonLat } from '../../../contract/sphere.ts'
import { signIn, testApp } from '../../../test/app.ts'
import { DEMAND_UNIT } from '../../../contract/coverage.ts'

const CHANGSHA = '112.6,27.95,113.2,28.5'

interface Named {
  district: string | null
  city: string | null
  nearest_station_id: number | null
  nearest_station_code: string | null
  nearest_station_name: string | null
  nearest_station_address: string | null
  nearest_distance_m: number | null
}

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0)

describeEachBackend('coverage names places and counts whole workers', (db) => {
  let app: App
  let planner: string

  beforeAll(async () => {
    app = testApp(db())
    planner = await signIn(app, 'planner')
  })

  const get = (path: string, query: Record<string, unknown>) =>
    request(app).get(`/api/v1/coverage/${path}`).query(query).set('Cookie', planner)

  /**
   * The names of a point by brute force: every station's distance, no KNN index, and the
   * 15 km bound of a district written out again.
   */
  async function independently([lon, lat]: LonLat) {
    const point = 'ST_SetSRID(ST_MakePoint(?, ?), 4326)::geography'
    const nearest = await db()
      .knex('stations')
      .where('state', 'active')
      .select('id', 'code', 'name', 'address')
      .select(db().knex.raw(`ST_Distance(location, ${point}, false) AS d`, [lon, lat]))
      .orderBy('d')
      .first()
    const place = await db()
      .knex('stations')
      .whereNot('district', '')
      .select('district', 'city')
      .select(db().knex.raw(`ST_Distance(location, ${point}, false) AS d`, [lon, lat]))
      .orderBy('d')
      .first()
    return { nearest, place: place.d <= 15_000 ? place : { district: null, city: null } }
  }

  async function expectNamed(at: LonLat, got: Named) {
    const { nearest, place } = await independently(at)
    expect(got.nearest_station_id).toBe(nearest.id)
    expect(got.nearest_station_code).toBe(nearest.code)
    expect(got.nearest_station_code).toMatch(/^HN-[A-Z]+-\d{5}$/)
    expect(got.nearest_station_name).toBe(nearest.name)
    expect(got.nearest_station_address).toBe(nearest.address)
    expect(Math.abs(got.nearest_distance_m! - nearest.d)).toBeLessThan(0.1)
    expect(got.district).toBe(place.district)
    expect(got.city).toBe(place.city)
  }

  it('names each suggested site by its district and nearest station, as a brute force does', async () => {
    const res = await get('suggestions', { bbox: CHANGSHA, radius_m: 1000, k: 10 })
    expect(res.status, JSON.stringify(res.body)).toBe(200)
    const sites = res.body.suggestions as (Named & { location: LonLat })[]
    expect(sites).toHaveLength(10)
    for (const site of sites) await expectNamed(site.location, site)
    // the seeded stations name every district: the sites all have one
    expect(sites.every((s) => /[区县市]$/.test(s.district ?? '') && /市$/.test(s.city ?? ''))).toBe(
      true,
    )
  })

  it('names each gap cell by its centre', async () => {
    const res = await get('gaps', { bbox: CHANGSHA, radius_m: 1000, cell_m: 500 })
    const cells = res.body.features as {
      geometry: { coordinates: number[][][] }
      properties: Named & { gap: boolean }
    }[]
    expect(cells.length).toBeGreaterThan(20)
    // every 20th cell: the brute force reads every station
    for (const cell of cells.filter((_, i) => i % 20 === 0)) {
      // the centre from the six corners, to within centimetres
      const corners = cell.geometry.coordinates[0]!.slice(0, 6)
      const centre: LonLat = [
        sum(corners.map((p) => p[0]!)) / 6,
        sum(corners.map((p) => p[1]!)) / 6,
      ]
      await expectNamed(centre, cell.properties)
    }
  })

  it('counts demand in whole workers that add up, in every answer', async () => {
    const whole = (n: unknown) => expect(Number.isInteger(n), String(n)).toBe(true)
    const gaps = await get('gaps', { bbox: CHANGSHA, radius_m: 1000, include: 'all' })
    expect(gaps.body.demand_unit).toBe(DEMAND_UNIT)
    const s = gaps.body.summary
    const cells = gaps.body.features as { properties: Record<string, number> }[]
    for (const c of cells) {
      const p = c.properties
      ;[p.demand, p.covered_demand, p.uncovered_demand].forEach(whole)
      expect(p.covered_demand! + p.uncovered_demand!).toBe(p.demand)
    }
    ;[s.total_demand, s.covered_demand, s.uncovered_demand, s.gap_demand].forEach(whole)
    expect(s.covered_demand + s.uncovered_demand).toBe(s.total_demand)
    expect(sum(cells.map((c) => c.properties.demand!))).toBe(s.total_demand)
    expect(sum(cells.map((c) => c.properties.covered_demand!))).toBe(s.covered_demand)
    const gapCells = cells.filter((c) => c.properties.gap)
    expect(sum(gapCells.map((c) => c.properties.demand!))).toBe(s.gap_demand)

    const sites = await get('suggestions', { bbox: CHANGSHA, radius_m: 1000, k: 10 })
    expect(sites.body.demand_unit).toBe(DEMAND_UNIT)
    const before = sites.body.summary
    expect(before.total_demand).toBe(s.total_demand)
    let covered = before.covered_demand
    for (const site of sites.body.suggestions as Record<string, number>[]) {
      whole(site.newly_covered_demand)
      covered += site.newly_covered_demand!
      expect(site.covered_demand).toBe(covered)
    }

    const whatIf = await request(app)
      .post('/api/v1/coverage/what-if')
      .set('Cookie', planner)
      .send({ bbox: CHANGSHA.split(',').map(Number), radius_m: 1000, sites: [[112.98, 28.2]] })
    expect(whatIf.body.demand_unit).toBe(DEMAND_UNIT)
    const { before: b, after: a, added_demand } = whatIf.body
    expect(a.covered_demand - b.covered_demand).toBe(added_demand)
    expect(a.total_demand).toBe(b.total_demand)

    const byCity = await get('summary', { radius_m: 1000 })
    expect(byCity.body.demand_unit).toBe(DEMAND_UNIT)
    const cities = byCity.body.cities as Record<string, number>[]
    expect(sum(cities.map((c) => c.total_demand!))).toBe(byCity.body.total.total_demand)
    expect(sum(cities.map((c) => c.covered_demand!))).toBe(byCity.body.total.covered_demand)
    for (const c of cities) expect(c.covered_demand! + c.uncovered_demand!).toBe(c.total_demand)
  })

  it('rounds fractional weights to whole workers, the parts adding up to the total', async () => {
    // seven points of 0.3 workers in seven cells, two of them near stations: 2.1 in all
    const csv = [
      'lon,lat,weight',
      ...[0, 1, 2, 3, 4, 5, 6].map((i) => `${(112.7 + i * 0.05).toFixed(2)},28.1,0.3`),
    ].join('\n')
    const imported = await request(app)
      .post('/api/v1/imports/demand-points?dataset=fractions')
      .set('Cookie', planner)
      .set('content-type', 'text/csv')
      .send(csv)
    expect(imported.status, JSON.stringify(imported.body)).toBe(200)
    const res = await get('gaps', {
      bbox: CHANGSHA,
      radius_m: 3000,
      dataset: 'fractions',
      include: 'all',
    })
    const s = res.body.summary
    expect(s.total_demand).toBe(2)
    expect(s.covered_demand + s.uncovered_demand).toBe(2)
    expect(Math.abs(s.covered_demand - s.coverage_ratio * 2.1)).toBeLessThan(1)
    const demand = (res.body.features as { properties: { demand: number } }[]).map(
      (c) => c.properties.demand,
    )
    expect(demand).toHaveLength(7)
    expect(demand.every((d) => d === 0 || d === 1)).toBe(true)
    expect(sum(demand)).toBe(2)
  })
})
