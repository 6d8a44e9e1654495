import { beforeAll, expect, it } from 'vitest'
import request from 'supertest'
import seedrandom from 'seedrandom'
import type { Express } from 'express'
import { describeEachBackend } from '../../../test/db.ts'
import { seedTime, testApp } from '../../../test/app.ts'
import { deriveStatus, type StatusInput } from './status.ts'
import { AMENITIES, SUPPLIES } from '../../../contract/vocabulary.ts'

const STALE_MS = 120 * 60_000

interface OracleRow extends StatusInput {
  id: number
  d: number
  amenities: string[]
}

describeEachBackend('GET /stations/nearest', (db) => {
  let app: Express
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
        `SELECT s.id, s.amenities, s.state, s.capacity, s.opening_hours, s.timezone,
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
    'equals a brute-force scan for 200 random points and filter combinations',
    { timeout: 180_000 },
    async () => {
      const rnd = seedrandom('nearest-oracle')
      const pick = <T>(xs: readonly T[], n: number) => [...xs].sort(() => rnd() - 0.5).slice(0, n)
      let nonEmpty = 0
      for (let i = 0; i < 200; i++) {
        // Points mostly where the stations are, some far out in the countryside.
        const lon = i % 4 === 0 ? 108.8 + rnd() * 5.4 : 112.94 + (rnd() - 0.5) * 0.4
        const lat = i % 4 === 0 ? 24.7 + rnd() * 5.4 : 28.23 + (rnd() - 0.5) * 0.4
        const limit = 1 + Math.floor(rnd() * 20)
        const amenities = pick(AMENITIES, Math.floor(rnd() * 3))
        const supplies = pick(SUPPLIES, rnd() < 0.3 ? 1 + Math.floor(rnd() * 2) : 0)
        const openNow = rnd() < 0.4
        const available = rnd() < 0.3
        const radius = rnd() < 0.4 ? Math.round(500 + rnd() * 30_000) : undefined
        now = new Date(base.getTime() + Math.floor(rnd() * 24) * 3600_000 * (rnd() < 0.5 ? 0 : 1))

        const query: Record<string, string | number> = { lat, lon, limit }
        if (amenities.length) query.amenities = amenities.join(',')
        if (supplies.length) query.supplies = supplies.join(',')
        if (openNow) query.open_now = 'true'
        if (available) query.available = 'true'
        if (radius) query.radius_m = radius
        const res = await request(app).get('/api/v1/stations/nearest').query(query)
        expect(res.status, JSON.stringify(res.body)).toBe(200)

        const expected = (await oracle(lon, lat))
          .filter((r) => r.state !== 'retired')
          .filter((r) => radius === undefined || r.d <= radius)
          .filter((r) => amenities.every((a) => r.amenities.includes(a)))
          .filter((r) =>
            supplies.every((s) => {
              const v = r.supplies?.[s]
              return v !== undefined && v[0] >= v[1]
            }),
          )
          .filter((r) => {
            const st = deriveStatus(r, now, STALE_MS)
            return (!openNow || st.open_now) && (!available || st.availability === 'open')
          })
          .sort((a, b) => a.d - b.d || a.id - b.id)
          .slice(0, limit)

        const got = res.body.results as { id: number; distance_m: number }[]
        expect(got.map((r) => r.distance_m)).toEqual(expected.map((r) => expect.closeTo(r.d, 6)))
        expect(got.map((r) => r.id)).toEqual(expected.map((r) => r.id))
        if (got.length) nonEmpty++
      }
      // The filters must not make the comparison vacuous.
      expect(nonEmpty).toBeGreaterThan(120)
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
