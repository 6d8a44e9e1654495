import KDBush from 'kdbush'
import { around } from 'geokdbush'
import { openDatabase } from '../../server/src/db/knex.ts'
import { findNearest } from '../../server/src/stations/queries.ts'
import { statusRules } from '../../server/src/stations/status.ts'
import { nearestQuery } from '../../server/src/stations/schema.ts'
import { deriveStatus, type StatusInput } from '../../server/src/stations/status.ts'
import { withClient } from './database.ts'
import { scriptFrom, type NativeQuery, type Script } from './pgbench.ts'
import { Latencies, type Bbox } from './stats.ts'
import { perOp, startCpu } from './cpu.ts'
import type { BenchDatabase, Measurement } from './types.ts'

export const STALE_AFTER_MINUTES = 120

/** The bounding box of the stations that are not retired: random points are drawn in it. */
export async function stationExtent(db: BenchDatabase): Promise<Bbox> {
  return withClient(db.url, async (c) => {
    const { rows } = await c.query<{ w: number; s: number; e: number; n: number }>(`
      SELECT ST_XMin(b) AS w, ST_YMin(b) AS s, ST_XMax(b) AS e, ST_YMax(b) AS n
      FROM (SELECT ST_Extent(location::geometry) AS b FROM stations WHERE state <> 'retired') x`)
    const r = rows[0]!
    return [r.w, r.s, r.e, r.n]
  })
}

export const nearestPath = (lon: number, lat: number, filters: string) =>
  `/api/v1/stations/nearest?lat=${lat}&lon=${lon}&limit=5${filters}`

// Recognisable values: the bindings holding them become pgbench's random :lon and :lat.
const PROBE_LON = 112.123457
const PROBE_LAT = 27.654321

/**
 * The statements the server's findNearest sends for `filters` (a query-string tail such as
 * '&open_now=true'), captured from knex as they go to node-pg, parsed by the API's own schema.
 */
export async function captureNearestSql(
  db: BenchDatabase,
  filters: string,
): Promise<NativeQuery[]> {
  const search = new URLSearchParams(nearestPath(PROBE_LON, PROBE_LAT, filters).split('?')[1])
  const q = nearestQuery.parse(Object.fromEntries(search))
  const { knex, close } = await openDatabase({ databaseUrl: db.url, dataDir: '' })
  const queries: NativeQuery[] = []
  knex.on('query', (data: { sql: string; bindings?: unknown[] }) =>
    queries.push({ sql: data.sql, bindings: data.bindings ?? [] }),
  )
  try {
    await findNearest(knex, q, statusRules(STALE_AFTER_MINUTES)())
  } finally {
    await close()
  }
  return queries
}

/** A pgbench script sending those statements with points drawn uniformly over `box`. */
export function nearestScript(queries: NativeQuery[], box: Bbox): Script {
  const [w, s, e, n] = box
  const span = (a: number, b: number) => Math.ceil((b - a) * 1e6)
  return scriptFrom(
    [
      `\\set lon ${w} + random(0, ${span(w, e)}) / 1000000.0`,
      `\\set lat ${s} + random(0, ${span(s, n)}) / 1000000.0`,
    ],
    queries,
    (v) => (v === PROBE_LON ? 'lon' : v === PROBE_LAT ? 'lat' : undefined),
  )
}

export interface MemoryIndex {
  index: KDBush
  ids: Int32Array
  /**
   * Per index position: has both amenities and is `available` (open, fresh, a free seat, and a
   * free charger when e-bike charging is one of them).
   */
  matches(amenities: readonly string[]): Uint8Array
  loadMs: number
  buildMs: number
}

/** kdbush over the stations the API can answer with, plus what the filters need. */
export async function buildMemoryIndex(db: BenchDatabase): Promise<MemoryIndex> {
  const started = performance.now()
  const rows = await withClient(db.url, async (c) => {
    const { rows } = await c.query<
      StatusInput & {
        id: number
        lon: number
        lat: number
        amenities: string[]
        charging_points: number
      }
    >(`
      SELECT s.id, ST_X(s.location::geometry) AS lon, ST_Y(s.location::geometry) AS lat,
             s.amenities, s.state, s.capacity, s.charging_points, s.opening_hours, s.timezone,
             st.occupancy, st.charging_points_in_use, st.reported_at, st.version,
             NULL AS supplies
      FROM stations s LEFT JOIN station_status st ON st.station_id = s.id
      WHERE s.state <> 'retired'`)
    return rows
  })
  const loaded = performance.now()
  const index = new KDBush(rows.length)
  for (const r of rows) index.add(r.lon, r.lat)
  index.finish()
  const ids = Int32Array.from(rows, (r) => r.id)
  return {
    index,
    ids,
    loadMs: Math.round(loaded - started),
    buildMs: Math.round(performance.now() - loaded),
    matches(amenities) {
      // The API's own status rules, evaluated once per station at bench start.
      const now = new Date()
      const charger = amenities.includes('ebike_charging')
      return Uint8Array.from(rows, (r) => {
        const status = deriveStatus(r, now, STALE_AFTER_MINUTES * 60_000)
        const room =
          status.availability === 'open' &&
          (!charger || r.charging_points > status.charging_points_in_use)
        return amenities.every((a) => r.amenities.includes(a)) && room ? 1 : 0
      })
    },
  }
}

/** geokdbush.around over the same points, single-threaded, for `durationS`. */
export function runMemory(
  mem: MemoryIndex,
  points: readonly [number, number][],
  durationS: number,
  mask?: Uint8Array,
): Omit<Measurement, 'case' | 'system'> {
  const predicate = mask && ((i: number) => mask[i] === 1)
  const latencies = new Latencies()
  const meter = startCpu({})
  const started = performance.now()
  const end = started + durationS * 1000
  for (let i = 0; ; i++) {
    const t0 = performance.now()
    if (t0 >= end) break
    const [lon, lat] = points[i % points.length]!
    around(mem.index, lon, lat, 5, Infinity, predicate)
    latencies.add(performance.now() - t0)
  }
  const seconds = (performance.now() - started) / 1000
  const cpu = meter.stop()
  return {
    qps: Math.round(latencies.count / seconds),
    ...latencies.summary(),
    count: latencies.count,
    errors: 0,
    cpu,
    cpuMsPerOp: perOp(cpu, latencies.count),
  }
}

/** The k nearest station ids of the in-memory index, to check the API answers the same. */
export function memoryNearest(mem: MemoryIndex, lon: number, lat: number, mask?: Uint8Array) {
  const predicate = mask && ((i: number) => mask[i] === 1)
  return around(mem.index, lon, lat, 5, Infinity, predicate).map((i) => mem.ids[i]!)
}
