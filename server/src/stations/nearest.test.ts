import { beforeAll, expect, it } from 'vitest'
import request from 'supertest'
import seedrandom from 'seedrandom'
import type { App } from '../app.ts'
import { describeEachBackend } from '../../../test/db.ts'
import { seedTime, testApp } from '../../../test/app.ts'
import { deriveStatus, type StatusInput } from './status.ts'
import { AMENITIES, SUPPLIES } from '../../../contract/vocabulary.ts'

const STALE_MS = 120 * 60_000

interface OracleRow extends StatusInput {
  id: number
  d: number
  amenities: string[]
  charging_points: number
}

describeEachBackend('GET /stations/nearest', (db) => {
  let app: App
  let now: Date
  let base: Date

  beforeAll(async () => {
    base = await seedTime(db())
    now = base
    app = testApp(db(), { clock: () => now })
  })

  /**
   * Every row's distance by a plain scan with ST_Distance; filters applied one by one in JS.
   * The stations' attributes don't change in this file, so they are read once.
   */
  let attributes: Map<number, Omit<OracleRow, 'd'>> | undefined
  async function oracle(lon: number, lat: number): Promise<OracleRow[]> {
    if (!attributes) {
      const { rows } = (await db().knex.raw(
        `SELECT s.id, s.amenities, s.state, s.capacity, s.charging_points, s.opening_hours, s.timezone,
                st.occupancy, st.charging_points_in_use, st.reported_at, st.version,
                (SELECT jsonb_object_agg(item, jsonb_build_array(level, low_threshold))
                   FROM station_supplies WHERE station_id = s.id) AS supplies
           FROM stations s LEFT JOIN station_status st ON st.station_id = s.id`,
      )) as { rows: Omit<OracleRow, 'd'>[] }
      attributes = new Map(rows.map((r) => [r.id, r]))
    }
    const { rows } = (await db().knex.raw(
      `SELECT id, ST_Distance(location, ST_SetSRID(ST_MakePoint(?, ?), 4326)::geography, false) AS d
         FROM stations`,
      [lon, lat],
    )) as { rows: { id: number; d: number }[] }
    return rows.map((r) => ({ ...attributes!.get(r.id)!, d: r.d }))
  }

  it(
    'equals a brute-force scan for 200 random points, filter combinations and orders',
    { timeout: 180_000 },
    async () => {
      const rnd = seedrandom('nearest-oracle')
      const pick = <T>(xs: readonly T[], n: number) => [...xs].sort(() => rnd() - 0.5).slice(0, n)
      let nonEmpty = 0
      let reordered = 0
      for (let i = 0; i < 200; i++) {
        // Points mostly where the stations are, some far out in the countryside.
        const lon = i % 4 === 0 ? 108.8 + rnd() * 5.4 : 112.94 + (rnd() - 0.5) * 0.4
        const lat = i % 4 === 0 ? 24.7 + rnd() * 5.4 : 28.23 + (rnd() - 0.5) * 0.4
        const limit = 1 + Math.floor(rnd() * 20)
        const amenities = pick(AMENITIES, Math.floor(rnd() * 3))
        const supplies = pick(SUPPLIES, rnd() < 0.3 ? 1 + Math.floor(rnd() * 2) : 0)
        // e-bike charging often: with "has space" it asks for a free charger
        if (rnd() < 0.2 && !amenities.includes('ebike_charging')) amenities.push('ebike_charging')
        const charger = amenities.includes('ebike_charging')
        // every third: no open filter, ranked, where closed and full stations come after
        const ranked = i % 3 === 1
        const openNow = !ranked && rnd() < 0.4
        const available = !ranked && rnd() < 0.3
        const radius = rnd() < 0.4 ? Math.round(500 + rnd() * 30_000) : undefined
        const openFor = !ranked && rnd() < 0.25 ? Math.floor(rnd() * 180) : undefined
        const order = ranked || rnd() < 0.5 ? 'open_first' : 'distance'
        // whole hours and some minutes past: opening hours change on the hour and half hour
        const minutes = rnd() < 0.5 ? 0 : Math.floor(rnd() * 60)
        now = new Date(
          base.getTime() +
            (Math.floor(rnd() * 24) * 60 + minutes) * 60_000 * (ranked || rnd() < 0.5 ? 1 : 0),
        )

        const query: Record<string, string | number> = { lat, lon, limit }
        if (amenities.length) query.amenities = amenities.join(',')
        if (supplies.length) query.supplies = supplies.join(',')
        if (openNow) query.open_now = 'true'
        if (available) query.available = 'true'
        if (radius) query.radius_m = radius
        if (openFor !== undefined) query.open_for = openFor
        if (order === 'distance' || rnd() < 0.5) query.order = order
        const res = await request(app).get('/api/v1/stations/nearest').query(query)
        expect(res.status, JSON.stringify(res.body)).toBe(200)

        const candidates = (await oracle(lon, lat))
          .filter((r) => r.state !== 'retired')
          .filter((r) => radius === undefined || r.d <= radius)
          .filter((r) => amenities.every((a) => r.amenities.includes(a)))
          .filter((r) =>
            supplies.every((s) => {
              const v = r.supplies?.[s]
              return v !== undefined && v[0] >= v[1]
            }),
          )
          .map((r) => {
            const st = deriveStatus(r, now, STALE_MS)
            const left = st.closes_at ? Date.parse(st.closes_at) - now.getTime() : Infinity
            const openLongEnough = st.open_now && left >= (openFor ?? 0) * 60_000
            const freeCharger = r.charging_points - st.charging_points_in_use > 0
            const room = st.available_spaces > 0 && (!charger || freeCharger)
            const rank = order === 'distance' ? 0 : !st.open_now ? 2 : !st.stale && !room ? 1 : 0
            const onlyOpen = openNow || available || openFor !== undefined
            const keep =
              (!onlyOpen || openLongEnough) && (!available || (st.availability === 'open' && room))
            return { ...r, rank, keep }
          })
          .filter((r) => r.keep)
        const byDistance = (a: OracleRow, b: OracleRow) => a.d - b.d || a.id - b.id
        const expected = [...candidates]
          .sort((a, b) => a.rank - b.rank || byDistance(a, b))
          .slice(0, limit)
        const nearestIds = [...candidates]
          .sort(byDistance)
          .slice(0, limit)
          .map((r) => r.id)

        const got = res.body.results as { id: number; distance_m: number }[]
        expect(got.map((r) => r.distance_m)).toEqual(expected.map((r) => expect.closeTo(r.d, 6)))
        expect(got.map((r) => r.id)).toEqual(expected.map((r) => r.id))
        if (got.length) nonEmpty++
        if (expected.some((r, j) => r.id !== nearestIds[j])) reordered++
      }
      // The filters must not make the comparison vacuous, nor the ranking.
      expect(nonEmpty).toBeGreaterThan(120)
      expect(reordered).toBeGreaterThan(20)
    },
  )

  it('answers with station, distance and status, nearest first', async () => {
    now = base
    const res = await request(app).get('/api/v1/stations/nearest?lat=28.19&lon=112.97&limit=5')
    expect(res.status).toBe(200)
    expect(res.body.results).toHaveLength(5)
    const first = res.body.results[0]
    expect(first).toMatchObject({
      code: expect.stringMatching(/^HN-/),
      location: { lon: expect.any(Number), lat: expect.any(Number) },
      status: { availability: expect.any(String), supplies: expect.any(Object) },
    })
    const d = res.body.results.map((r: { distance_m: number }) => r.distance_m)
    expect(d).toEqual([...d].sort((a, b) => a - b))
    expect(d[0]).toBeLessThan(3000)
  })
})
