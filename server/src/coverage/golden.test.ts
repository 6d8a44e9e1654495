import fs from 'node:fs'
import { beforeAll, expect, it } from 'vitest'
import request from 'supertest'
import type { App } from '../app.ts'
import { describeEachBackend } from '../../../test/db.ts'
import { metres, type LonLat } from '../../../contract/sphere.ts'
import { signIn, testApp } from '../../../test/app.ts'

interface Props {
  kind: 'station' | 'demand_point' | 'station_request'
  name: string
  state?: string
  weight?: number
  cell?: string
}
interface Cell {
  id: string
  geometry: { coordinates: number[][][] }
  properties: Record<string, unknown>
}
interface Suggestion {
  location: LonLat
  source: string
  added_demand: number
  coverage_ratio: number
}
interface Fixture<P> {
  bbox: number[]
  cells: Record<string, { centre: LonLat }>
  query: Record<string, unknown>
  summary: Record<string, number>
  features: { id?: string; geometry: { coordinates: never }; properties: P }[]
}

const load = <P>(name: string): Fixture<P> =>
  JSON.parse(fs.readFileSync(new URL(`./fixtures/${name}.geojson`, import.meta.url), 'utf8'))

const input = load<Props>('golden-in')
const [W, S, E, N] = input.bbox as [number, number, number, number]
const bbox = input.bbox.join(',')
const of = (kind: Props['kind']) =>
  input.features
    .filter((f) => f.properties.kind === kind)
    .map((f) => ({ ...f.properties, at: f.geometry.coordinates as LonLat }))

const near = (a: LonLat, b: LonLat) => Math.abs(a[0] - b[0]) < 1e-6 && Math.abs(a[1] - b[1]) < 1e-6

/** The greedy of the API, written again from its description over the fixture alone. */
function independentGreedy(reach: number, m: number, k: number) {
  const active = of('station').filter((s) => s.state === 'active')
  const demand = [
    ...of('demand_point'),
    ...of('station_request').map((r) => ({ ...r, weight: 1 })),
  ].map((d) => ({
    ...d,
    need: Math.max(0, m - active.filter((s) => metres(s.at, d.at) <= reach).length),
  }))
  const short = demand.filter((d) => d.need > 0)
  const cells = [...new Set(short.map((d) => d.cell!))].sort((a, b) => {
    const [ai, aj] = a.split(',').map(Number) as [number, number]
    const [bi, bj] = b.split(',').map(Number) as [number, number]
    return ai - bi || aj - bj
  })
  const candidates = [
    ...of('station_request').map((r) => ({ at: r.at, source: 'station_request' })),
    ...cells.map((c) => ({ at: input.cells[c]!.centre, source: 'cell' })),
  ].map((c) => ({ ...c, reaches: short.filter((d) => metres(c.at, d.at) <= reach) }))
  const lacking = new Map(short.map((d) => [d, d.need]))
  const total = demand.reduce((a, d) => a + d.weight!, 0)
  let covered = demand.filter((d) => d.need === 0).reduce((a, d) => a + d.weight!, 0)
  const picks = []
  while (picks.length < k && candidates.length > 0) {
    const gain = (c: (typeof candidates)[number]) =>
      c.reaches.reduce((a, d) => a + (lacking.get(d)! > 0 ? d.weight! / d.need : 0), 0)
    const best = candidates.reduce((b, c) => (gain(c) > gain(b) ? c : b))
    const added = gain(best)
    if (added === 0) break
    candidates.splice(candidates.indexOf(best), 1)
    for (const d of best.reaches) {
      lacking.set(d, lacking.get(d)! - 1)
      if (lacking.get(d) === 0) covered += d.weight!
    }
    picks.push({ at: best.at, source: best.source, added, ratio: covered / total })
  }
  return picks
}

describeEachBackend('coverage golden fixtures', (db) => {
  let app: App
  let planner: string
  const stationIds = new Map<string, number>()

  beforeAll(async () => {
    const knex = db().knex
    app = testApp(db())
    planner = await signIn(app, 'planner')
    // The area is far from the seeded data; clear a margin around it anyway.
    const margin = [W - 1, S - 1, E + 1, N + 1]
    for (const table of ['demand_points', 'station_requests', 'stations'])
      await knex(table)
        .whereRaw('location::geometry && ST_MakeEnvelope(?, ?, ?, ?, 4326)', margin)
        .delete()
    const point = (at: LonLat) => knex.raw('ST_SetSRID(ST_MakePoint(?, ?), 4326)::geography', at)
    for (const s of of('station')) {
      const [row] = await knex('stations')
        .insert({
          code: `FX-${s.name}`,
          name: `Fixture ${s.name}`,
          location: point(s.at),
          capacity: 10,
          state: s.state,
        })
        .returning('id')
      stationIds.set(s.name, row.id)
    }
    for (const d of of('demand_point'))
      await knex('demand_points').insert({ location: point(d.at), weight: d.weight })
    // Station requests come in through the API, as couriers send them.
    for (const r of of('station_request')) {
      const res = await request(app)
        .post('/api/v1/station-requests')
        .send({ location: { lon: r.at[0], lat: r.at[1] } })
      expect(res.status).toBe(201)
    }
  })

  const get = (path: string, query: Record<string, unknown>) =>
    request(app).get(`/api/v1/coverage/${path}`).query(query).set('Cookie', planner)

  async function expectGaps(name: string, query: Record<string, unknown>) {
    const expected = load<Record<string, unknown>>(name)
    const res = await get('gaps', query)
    expect(res.status, JSON.stringify(res.body)).toBe(200)
    expect(res.headers['content-type']).toMatch(/^application\/geo\+json/)
    expect(res.body.summary).toEqual(expected.summary)
    const cells = res.body.features as Cell[]
    expect(cells.map((f) => f.id)).toEqual(expected.features.map((f) => f.id))
    cells.forEach((cell, i) => {
      const want = expected.features[i]!
      const { nearest_station, nearest_distance_m, ...props } = want.properties
      expect(cell.properties).toMatchObject(props)
      expect(cell.properties.nearest_station_id).toBe(stationIds.get(nearest_station as string))
      // Named by its code and name; no station naming a district within reach of the fixture.
      expect(cell.properties.nearest_station_code).toBe(`FX-${nearest_station}`)
      expect(cell.properties.nearest_station_name).toBe(`Fixture ${nearest_station}`)
      expect(cell.properties.district).toBeNull()
      // Hand distances are planar UTM metres; the API's are on the sphere.
      const ratio = (cell.properties.nearest_distance_m as number) / (nearest_distance_m as number)
      expect(Math.abs(ratio - 1)).toBeLessThan(0.005)
      const ring = cell.geometry.coordinates[0]!
      const wanted = (want.geometry.coordinates as number[][][])[0]!
      expect(ring).toHaveLength(wanted.length)
      ring.forEach(([lon, lat], v) => {
        expect(Math.abs(lon! - wanted[v]![0]!)).toBeLessThan(2e-6)
        expect(Math.abs(lat! - wanted[v]![1]!)).toBeLessThan(2e-6)
      })
    })
  }

  it('finds the hand-worked cells, distances and per-point coverage (min_stations=1)', async () => {
    await expectGaps('golden-gaps-1', { bbox, radius_m: 1000, cell_m: 500, include: 'all' })
  })

  it('returns only the gap cells by default', async () => {
    const res = await get('gaps', { bbox, radius_m: 1000, cell_m: 500 })
    expect(res.body.features.map((f: { id: string }) => f.id)).toEqual([
      '668,4222',
      '680,4217',
      '686,4217',
    ])
    expect(res.body.summary).toEqual(load('golden-gaps-1').summary)
  })

  it('asks the cross-coverage question: two stations within reach (min_stations=2)', async () => {
    await expectGaps('golden-gaps-2', { bbox, radius_m: 1000, cell_m: 500, min_stations: 2 })
  })

  it('turns minutes into metres at the documented speeds and detour', async () => {
    // 15 walking minutes ≈ 865 m: d5 (900 m from S7) drops out. 15 e-bike minutes ≈ 2,885 m:
    // d4, r1 (S6 at 2.6 and 2.4 km) and d6 (S7 at 1.6 km) come in.
    const walk = await get('gaps', { bbox, minutes: 15, mode: 'walk' })
    expect(walk.body.query.reach_m).toBeCloseTo(4500 / 4 / 1.3, 6)
    expect(walk.body.summary.covered_demand).toBe(11)
    const ebike = await get('gaps', { bbox, minutes: 15, mode: 'ebike' })
    expect(ebike.body.query.reach_m).toBeCloseTo(15000 / 4 / 1.3, 6)
    expect(ebike.body.summary.covered_demand).toBe(22)
  })

  for (const m of [1, 2]) {
    it(`suggests the hand-worked sites, as an independent greedy (min_stations=${m})`, async () => {
      const expected = load<Record<string, number | string>>(`golden-suggestions-${m}`)
      const res = await get('suggestions', { ...expected.query, bbox })
      expect(res.status, JSON.stringify(res.body)).toBe(200)
      const got = res.body.suggestions as Suggestion[]
      expect(got).toHaveLength(expected.features.length)
      got.forEach((s, i) => {
        const want = expected.features[i]!
        expect(near(s.location, want.geometry.coordinates)).toBe(true)
        expect(s).toMatchObject(want.properties)
      })
      const independent = independentGreedy(1000, m, Number(expected.query.k))
      expect(independent.map((p) => [p.source, p.added, p.ratio])).toEqual(
        got.map((s) => [s.source, s.added_demand, s.coverage_ratio]),
      )
      independent.forEach((p, i) => expect(near(p.at, got[i]!.location)).toBe(true))
    })
  }

  it('what-if adds hypothetical stations to the existing ones', async () => {
    const sites = load('golden-suggestions-1').features.map((f) => f.geometry.coordinates)
    const post = (body: object) =>
      request(app).post('/api/v1/coverage/what-if').set('Cookie', planner).send(body)
    const one = await post({ bbox: input.bbox, radius_m: 1000, sites: sites.slice(0, 1) })
    expect(one.status, JSON.stringify(one.body)).toBe(200)
    expect(one.body.before).toEqual({
      total_demand: 32,
      covered_demand: 16,
      uncovered_demand: 16,
      coverage_ratio: 0.5,
    })
    expect(one.body.after.coverage_ratio).toBe(0.8125)
    expect(one.body.added_demand).toBe(10)
    const all = await post({ bbox: input.bbox, radius_m: 1000, sites })
    expect(all.body.after.coverage_ratio).toBe(1)
    // Cross coverage: S1 and S2 double-cover d1 and d2; two sites at cell 668,4222 add d7, d8.
    const cross = await post({
      bbox: input.bbox,
      radius_m: 1000,
      min_stations: 2,
      sites: [sites[0], sites[0]],
    })
    expect(cross.body.before.covered_demand).toBe(5)
    expect(cross.body.after.covered_demand).toBe(15)
  })
})
