// B3 station tiles over Changsha: the API against pgbench running the very ST_AsMVT query
// the server sends (its own .sql files, read from the server under test), for the same tiles
// at concurrency 16: what a PostGIS tile server with that query would cost. Cold: a server
// without the tile cache, every tile read; warm: a server whose cache holds every tile. Then
// how soon a change reaches a cached tile.
import fs from 'node:fs'
import path from 'node:path'
import { PbfReader } from 'pbf'
import { VectorTile } from '@mapbox/vector-tile'
import { isOpenAt } from '../../server/src/stations/openingHours.ts'
import { withClient } from '../lib/database.ts'
import { runHttp, warmUp } from '../lib/http.ts'
import { STALE_AFTER_MINUTES } from '../lib/nearest.ts'
import { measurePgbench, pgText, warmUpPgbench, type Script } from '../lib/pgbench.ts'
import { budget } from '../lib/report.ts'
import { SERVER_DIR } from '../lib/server.ts'
import { boxAround, ratio, tileOf } from '../lib/stats.ts'
import type {
  BenchContext,
  BenchDatabase,
  Measurement,
  Ratio,
  ScenarioResult,
} from '../lib/types.ts'

export const CHANGSHA = { lon: 112.939, lat: 28.228 }
const ZOOMS = [10, 12, 14]
const SAMPLE = 20

/** The server's tile query, as it sends it, without its comments (pgbench reads lines). */
const mvtSql = ['stations-tile-cells.sql', 'stations-tile-mvt.sql']
  .map((f) => fs.readFileSync(path.join(SERVER_DIR, 'server/src/tiles', f), 'utf8'))
  .join('')
  .split('\n')
  .filter((l) => !l.trimStart().startsWith('--'))
  .join('\n')
  .trim()

/** The tiles covering the box, row by row: x0..x0+nx-1 × y0..y0+ny-1. */
function tileRange(z: number, box: [number, number, number, number]) {
  const nw = tileOf(box[0], box[3], z)
  const se = tileOf(box[2], box[1], z)
  return { x0: nw.x, y0: nw.y, nx: se.x - nw.x + 1, ny: se.y - nw.y + 1 }
}

/** The constants the API works out per request: which schedules are open, when stale begins. */
async function statusParams(db: BenchDatabase) {
  const schedules = await withClient(db.url, async (c) => {
    const { rows } = await c.query<{ opening_hours: string; timezone: string }>(
      'SELECT opening_hours, timezone FROM opening_schedules',
    )
    return rows
  })
  const now = new Date()
  const open = schedules.filter((s) => isOpenAt(s.opening_hours, s.timezone, now))
  return {
    open_hours: pgText(open.map((s) => s.opening_hours)),
    open_zones: pgText(open.map((s) => s.timezone)),
    stale_before: new Date(now.getTime() - STALE_AFTER_MINUTES * 60_000).toISOString(),
  }
}

/** How the server calls its tile SQL: a 64-unit margin, clustering cells of 8 below z12. */
const tileConstants = (z: number) => ({
  z: String(z),
  margin: String(64 / 4096),
  grid: z >= 12 ? '1' : '8',
})

function featureCount(buf: Uint8Array): number {
  return new VectorTile(new PbfReader(buf)).layers.stations?.length ?? 0
}

const tilePath = (t: { z: number; x: number; y: number }) =>
  `/api/v1/tiles/stations/${t.z}/${t.x}/${t.y}.mvt`

/** Each tile once, so that the cache holds them all; how many it already did. */
async function fill(url: string, paths: readonly string[]) {
  let hits = 0
  for (const p of paths) {
    const res = await fetch(url + p)
    await res.arrayBuffer()
    if (res.headers.get('x-cache') === 'hit') hits++
  }
  return hits
}

/**
 * A status written straight to the database (as by another node, an import, a script) until
 * it shows in a tile the server had cached: ms from the commit to the first answer with it.
 */
async function changeVisible(db: BenchDatabase, url: string, rounds: number) {
  const t = { z: 14, ...tileOf(CHANGSHA.lon, CHANGSHA.lat, 14) }
  const first = await fetch(url + tilePath(t))
  const layer = new VectorTile(new PbfReader(new Uint8Array(await first.arrayBuffer()))).layers
    .stations!
  const id = Number(layer.feature(0).properties.id)
  const delays: number[] = []
  await withClient(db.url, async (c) => {
    for (let i = 0; i < rounds; i++) {
      await fetch(url + tilePath(t)).then((r) => r.arrayBuffer())
      const { rows } = await c.query<{ version: number }>(
        'UPDATE station_status SET version = version + 1 WHERE station_id = $1 RETURNING version',
        [id],
      )
      const committed = performance.now()
      for (;;) {
        const res = await fetch(url + tilePath(t))
        const tile = new VectorTile(new PbfReader(new Uint8Array(await res.arrayBuffer())))
        const stations = tile.layers.stations!
        const f = Array.from({ length: stations.length }, (_, j) => stations.feature(j)).find(
          (x) => x.properties.id === id,
        )
        if (f?.properties.version === rows[0]!.version) break
        if (performance.now() - committed > 10_000) throw new Error('change never reached the tile')
        await new Promise((r) => setTimeout(r, 1))
      }
      delays.push(performance.now() - committed)
    }
  })
  return delays.sort((a, b) => a - b)
}

/** For a sample of tiles: do the API's and the SQL's tile hold as many features, and how big. */
async function compareTiles(
  db: BenchDatabase,
  apiUrl: string,
  tiles: { z: number; x: number; y: number }[],
  params: Record<string, string>,
): Promise<{ same: number; apiBytes: number; sqlBytes: number }> {
  const names: string[] = []
  const native = mvtSql.replace(/(?<!:):([a-z_]+)/g, (_, name: string) => {
    names.push(name)
    return `$${names.length}`
  })
  return withClient(db.url, async (c) => {
    let same = 0
    let apiBytes = 0
    let sqlBytes = 0
    for (const t of tiles) {
      const values: Record<string, string> = {
        ...params,
        ...tileConstants(t.z),
        x: String(t.x),
        y: String(t.y),
      }
      const { rows } = await c.query<{ tile: string }>(
        native,
        names.map((n) => values[n]),
      )
      const sql = Buffer.from(rows[0]!.tile, 'base64')
      const res = await fetch(apiUrl + tilePath(t))
      const api = new Uint8Array(await res.arrayBuffer())
      if (featureCount(api) === featureCount(sql)) same++
      apiBytes += api.length
      sqlBytes += sql.length
    }
    return { same, apiBytes: apiBytes / tiles.length, sqlBytes: sqlBytes / tiles.length }
  })
}

export async function tileScenario(ctx: BenchContext): Promise<ScenarioResult[]> {
  const { durationS, warmupS, smoke } = ctx.options
  const db = await ctx.database(ctx.options.stations)
  const box = boxAround(CHANGSHA.lon, CHANGSHA.lat, 60)
  const params = await statusParams(db)
  const cold = await ctx.startServer({
    label: 'B3-cold',
    database: db,
    env: { TILE_CACHE_MB: '0' },
  })
  const server = await ctx.startServer({ label: 'B3', database: db })
  const measurements: Measurement[] = []
  const ratios: Ratio[] = []
  const notes: string[] = [
    `tiles covering the 60 × 60 km box ${box.join(',')} around Changsha's centre; the API ` +
      'cycles through them in order, pgbench picks one uniformly at random per transaction',
    'sql: pgbench -M prepared running the server’s own tile query (its stations-tile-cells.sql ' +
      'and stations-tile-mvt.sql), with the schedules open now passed in as the server works ' +
      'them out; sql -M extended: the same query planned for every tile',
    'api cold: a server with TILE_CACHE_MB=0, so every tile is read and encoded; api warm: ' +
      'the server with its tile cache (default 64 MiB), after each tile was asked for once',
  ]
  const cpu = { serverPid: server.pid, database: db.name }
  const coldCpu = { serverPid: cold.pid, database: db.name }
  for (const z of ZOOMS) {
    const { x0, y0, nx, ny } = tileRange(z, box)
    const tiles = Array.from({ length: nx * ny }, (_, i) => ({
      z,
      x: x0 + (i % nx),
      y: y0 + Math.floor(i / nx),
    }))
    const paths = tiles.map(tilePath)
    const script: Script = {
      text:
        [
          `\\set i random(0, ${tiles.length - 1})`,
          `\\set x ${x0} + :i % ${nx}`,
          `\\set y ${y0} + :i / ${nx}`,
          `${mvtSql};`,
        ].join('\n') + '\n',
      defines: { ...params, ...tileConstants(z) },
    }
    const sample = tiles.filter((_, i) => i % Math.max(1, Math.floor(tiles.length / SAMPLE)) === 0)
    const checked = sample.slice(0, SAMPLE)
    const cmp = await compareTiles(db, cold.url, checked, params)
    const kB = (b: number) => (b / 1000).toFixed(1)
    notes.push(
      `z${z}: ${tiles.length} tiles (${nx} × ${ny}); of ${checked.length} sampled tiles, ` +
        `${cmp.same} hold as many features from the API as from SQL; mean size API ` +
        `${kB(cmp.apiBytes)} kB, SQL ${kB(cmp.sqlBytes)} kB`,
    )
    ctx.log(`z${z}: ${tiles.length} tiles`)
    if (z === ZOOMS[0]) {
      await warmUp(cold, paths, warmupS)
      await warmUp(server, paths, warmupS)
      await warmUpPgbench(db, script, ctx.tmpDir, warmupS)
    }
    const api = await runHttp({
      baseUrl: cold.url,
      paths,
      connections: 16,
      durationS,
      cpu: coldCpu,
    })
    const hitsBefore = await fill(server.url, paths)
    const warm = await runHttp({ baseUrl: server.url, paths, connections: 16, durationS, cpu })
    const hitsAfter = await fill(server.url, paths)
    notes.push(
      `z${z}: of ${paths.length} tiles the cache held ${hitsBefore} before its fill pass and ` +
        `${hitsAfter} after the warm step`,
    )
    const pgbench = {
      db,
      script,
      clients: 16,
      durationS,
      tmpDir: ctx.tmpDir,
      serverPid: server.pid,
    }
    const sql = await measurePgbench(pgbench)
    const extended = await measurePgbench({ ...pgbench, mode: 'extended' })
    measurements.push({ case: `z${z} c=16`, system: 'api cold', ...api })
    measurements.push({ case: `z${z} c=16`, system: 'api warm', ...warm })
    measurements.push({ case: `z${z} c=16`, system: 'sql', ...sql })
    measurements.push({ case: `z${z} c=16`, system: 'sql -M extended', ...extended })
    ratios.push({ name: `API cold/SQL tiles per s z${z}`, value: ratio(api.qps, sql.qps) })
    ratios.push({ name: `API warm/SQL tiles per s z${z}`, value: ratio(warm.qps, sql.qps) })
  }
  const delays = await changeVisible(db, server.url, smoke ? 5 : 50)
  const pct = (q: number) => delays[Math.min(delays.length - 1, Math.floor(q * delays.length))]!
  measurements.push({
    case: 'a change until it shows in a cached z14 tile',
    system: 'api warm',
    p50Ms: pct(0.5),
    p99Ms: pct(0.99),
    count: delays.length,
    extra: { maxMs: Math.round(delays.at(-1)! * 10) / 10 },
  })
  notes.push(
    'change to tile: a station_status UPDATE committed by another connection, then the ' +
      'tile asked for every millisecond until it carries the new version',
  )
  const profiles = [await cold.stop(), await server.stop()].filter((p) => p !== undefined)
  return [
    {
      id: 'B3',
      title: `station tiles over Changsha (${db.stations.toLocaleString('en')} stations)`,
      measurements,
      ratios,
      budgets: [
        ...ratios.map((r) =>
          budget(
            r.name.replace(/API (\w+)\/SQL tiles per s/, 'API $1 tiles/s ÷ SQL tiles/s at'),
            r.value,
            '>=',
            r.name.includes('warm') ? 3 : 0.7,
            '',
            !smoke,
          ),
        ),
        budget('a change in a cached tile, slowest', delays.at(-1), '<=', 100, ' ms', !smoke),
      ],
      notes,
      ...(profiles.length ? { profiles } : {}),
    },
  ]
}
