import { beforeAll, expect, it } from 'vitest'
import { describeEachBackend } from '../../../test/db.ts'
import { seedTime, testConfig } from '../../../test/app.ts'
import { AMENITIES } from '../../../contract/vocabulary.ts'
import { StationIndex } from '../stations/stationIndex.ts'
import type { StatusRules } from '../stations/status.ts'
import { lonOf, latOf, tileEnvelope, tileXAt, tileYAt } from './coords.ts'
import { indexFirst, indexTile, INDEX_TILES_FROM_ZOOM } from './fromIndex.ts'
import {
  EXTENT,
  MARGIN,
  stationsTile,
  stationsTileMvt,
  type RenderedTile,
  type TileRenderer,
} from './queries.ts'
import { OpenSchedules } from './schedules.ts'
import { decodeStations, prng, reportRandomly } from '../../../test/changes.ts'

describeEachBackend('tiles from the station index', (db, backend) => {
  const knex = () => db().knex
  const random = prng(backend === 'postgis' ? 5 : 13)
  let seeded: Date
  let index: StationIndex
  /** Keeps the labels of a few dozen stations only: most tiles read some from the database. */
  let small: StationIndex
  let stations: { id: number; lon: number; lat: number }[]
  const edgeTiles: { z: number; x: number; y: number; k: number }[] = []

  const sample = async () =>
    (stations = (
      await knex().raw(
        `SELECT id, ST_X(location::geometry) AS lon, ST_Y(location::geometry) AS lat
           FROM stations WHERE state <> 'retired' ORDER BY id`,
      )
    ).rows)

  /** A station copied to (lon, lat), with a code and name of its own. */
  async function copyAt(id: number, lon: number, lat: number, tag: string) {
    const { rows } = await knex().raw(
      `INSERT INTO stations (code, name, location, amenities, capacity, charging_points,
                             opening_hours, timezone, state)
       SELECT ?, name || ?, ST_SetSRID(ST_MakePoint(?, ?), 4326)::geography, amenities, capacity,
              charging_points, opening_hours, timezone, state
         FROM stations WHERE id = ? RETURNING id`,
      [`IDXT-${tag}`, ` ${tag}`, lon, lat, id],
    )
    return rows[0].id as number
  }

  beforeAll(async () => {
    seeded = await seedTime(db())
    await sample()
    // Stations on the same spot (one cell at every zoom), and a millimetre either side of
    // each edge of a tile's margin, where rounding would decide.
    for (const [k, s] of stations.filter((_, k) => k % 97 === 0).entries()) {
      await copyAt(s.id, s.lon, s.lat, `SAME-${k}`)
      const z = 12 + (k % 5)
      const [x, y] = [Math.floor(tileXAt(s.lon, z)), Math.floor(tileYAt(s.lat, z))]
      const [x0, y0, x1, y1] = tileEnvelope(z, x, y)
      const m = MARGIN * (x1 - x0)
      edgeTiles.push({ z, x, y, k })
      for (const [io, d] of [
        ['IN', 1e-3],
        ['OUT', -1e-3],
      ] as const) {
        await copyAt(s.id, lonOf(x0 - m + d), s.lat, `${io}-W-${k}`)
        await copyAt(s.id, lonOf(x1 + m - d), s.lat, `${io}-E-${k}`)
        await copyAt(s.id, s.lon, latOf(y1 + m - d), `${io}-N-${k}`)
        await copyAt(s.id, s.lon, latOf(y0 - m + d), `${io}-S-${k}`)
      }
    }
    await sample()
    index = new StationIndex(knex())
    small = new StationIndex(knex(), undefined, { bodyCacheBytes: 30_000 })
    await Promise.all([index.load(), small.load()])
  }, 120_000)

  /** Reports, edits, renames, moves, closings and retirements, applied as the feed applies them. */
  async function changeSome(rules: StatusRules) {
    const ids = Array.from(
      { length: 30 },
      () => stations[Math.floor(random() * stations.length)]!.id,
    )
    const [a, b, c, d, e, ...reported] = ids
    await reportRandomly(knex(), reported, random, rules.now)
    const near = stations[Math.floor(random() * stations.length)]!
    await knex().raw(
      `UPDATE stations SET location = ST_SetSRID(ST_MakePoint(?, ?), 4326)::geography WHERE id = ?`,
      [near.lon + (random() - 0.5) * 0.01, near.lat + (random() - 0.5) * 0.01, a!],
    )
    await knex()('stations').where({ id: b }).update({ state: 'retired' })
    await knex()('stations')
      .where({ id: c })
      .update({ state: random() < 0.5 ? 'temporarily_closed' : 'active' })
    await knex()('stations')
      .where({ id: d })
      .update({ amenities: AMENITIES.filter(() => random() < 0.5) })
    await knex()('stations')
      .where({ id: e })
      .update({ name: `改名驿站 ${e}`, code: `IDXT-RENAMED-${e}` })
    await index.refresh(ids)
    await small.refresh(ids)
    await sample()
  }

  const renders = async (tile: RenderedTile | Promise<RenderedTile>) => await tile

  it('holds the stations a millimetre inside its margin, and not those a millimetre outside', async () => {
    const rules: StatusRules = { now: seeded, staleAfterMs: 120 * 60_000 }
    let inside = 0
    for (const { z, x, y, k } of edgeTiles) {
      const codes = decodeStations((await renders(indexTile(index, z, x, y, rules))).body).map(
        (f) => String(f.properties.code),
      )
      const sql = decodeStations((await stationsTile(knex(), z, x, y, rules)).body)
      expect(codes, `z${z}/${x}/${y}`).toEqual(sql.map((f) => f.properties.code))
      const edges = codes.filter((c) => /^IDXT-(IN|OUT)-[WENS]-\d+$/.test(c) && c.endsWith(`-${k}`))
      expect(edges.sort(), `z${z}/${x}/${y}`).toEqual(
        ['W', 'E', 'N', 'S'].map((side) => `IDXT-IN-${side}-${k}`).sort(),
      )
      inside += edges.length
    }
    expect(inside).toBeGreaterThan(100)
  })

  it('the same features, positions, properties and validity as the SQL tiles, through live changes', async () => {
    const schedules = new OpenSchedules()
    let features = 0
    let clustered = 0
    let read = 0
    let margins = 0
    const rounds = backend === 'postgis' ? 400 : 150
    for (let i = 0; i < rounds; i++) {
      // the seed's time, and later when reports went stale and opening hours turned
      const now = new Date(seeded.getTime() + (i % 4) * 5.5 * 3600_000)
      const rules: StatusRules = { now, staleAfterMs: testConfig().STALE_AFTER_MINUTES * 60_000 }
      if (i % 50 === 49) await changeSome(rules)
      const s = stations[Math.floor(random() * stations.length)]!
      const z = 10 + Math.floor(random() * 7)
      const x = Math.floor(tileXAt(s.lon, z)) + (i % 3 === 0 ? Math.round(random() * 2 - 1) : 0)
      const y = Math.floor(tileYAt(s.lat, z)) + (i % 3 === 1 ? Math.round(random() * 2 - 1) : 0)
      const context = `z${z}/${x}/${y} at ${now.toISOString()}`
      const sql = await stationsTile(knex(), z, x, y, rules)
      const expected = decodeStations(sql.body)
      const mine = await renders(indexTile(index, z, x, y, rules))
      expect(decodeStations(mine.body), context).toEqual(expected)
      expect(mine.validUntil, context).toBe(sql.validUntil)
      const later = indexTile(small, z, x, y, rules)
      if (later instanceof Promise) read++
      expect(decodeStations((await later).body), context).toEqual(expected)
      if (backend === 'postgis') {
        const mvt = await stationsTileMvt(knex(), z, x, y, rules, schedules)
        expect(decodeStations(mvt.body), context).toEqual(expected)
      }
      features += expected.length
      clustered += expected.filter((f) => Number(f.properties.point_count) > 1).length
      margins += expected.filter((f) =>
        f.geometry[0]!.some((p) => p.x < 0 || p.y < 0 || p.x >= EXTENT || p.y >= EXTENT),
      ).length
    }
    // the test saw what it is about
    expect(features).toBeGreaterThan(rounds * 5)
    expect(clustered).toBeGreaterThan(10)
    expect(margins).toBeGreaterThan(10)
    expect(read).toBeGreaterThan(rounds / 4)
  }, 300_000)

  it('the SQL makes the tiles below z12, and every tile while the index loads or reloads', async () => {
    const rules: StatusRules = { now: seeded, staleAfterMs: 120 * 60_000 }
    const asked: number[] = []
    const sql: TileRenderer = (z, x, y, r) => {
      asked.push(z)
      return stationsTile(knex(), z, x, y, r)
    }
    const s = stations[0]!
    const tile = (index: StationIndex, z: number) =>
      indexFirst(index, sql)(z, Math.floor(tileXAt(s.lon, z)), Math.floor(tileYAt(s.lat, z)), rules)
    const loading = new StationIndex(knex())
    const loaded = loading.load()
    expect(loading.current).toBe(false)
    await tile(loading, 14)
    expect(asked).toEqual([14])
    await loaded
    expect(loading.current).toBe(true)
    const [a, b] = [await tile(loading, 14), await tile(loading, INDEX_TILES_FROM_ZOOM - 1)]
    expect(asked).toEqual([14, INDEX_TILES_FROM_ZOOM - 1])
    expect(decodeStations(a.body).length).toBeGreaterThan(0)
    expect(decodeStations(b.body).length).toBeGreaterThan(0)
    // the feed was lost: until the index has read everything again, its tiles may miss changes
    loading.resync()
    expect(loading.current).toBe(false)
    await tile(loading, 14)
    expect(asked).toEqual([14, INDEX_TILES_FROM_ZOOM - 1, 14])
    await expect.poll(() => loading.current).toBe(true)
  })
})
