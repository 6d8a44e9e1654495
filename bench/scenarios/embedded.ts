// B6 embedded mode: PGlite's first start (migrate + seed) and restart, and nearest QPS on it
// against the same server on native PostGIS with the same data.
import path from 'node:path'
import { runHttp, warmUp } from '../lib/http.ts'
import { nearestPath, stationExtent } from '../lib/nearest.ts'
import { randomPoints, ratio } from '../lib/stats.ts'
import type { BenchContext, Measurement, ScenarioResult, ServerHandle } from '../lib/types.ts'

/** The embedded default data set; the smoke run uses a smaller one. */
const DEFAULT_STATIONS = 4076

export async function embeddedScenario(ctx: BenchContext): Promise<ScenarioResult[]> {
  const { durationS, warmupS, smoke } = ctx.options
  const stations = smoke ? 1000 : DEFAULT_STATIONS
  const db = await ctx.database(stations)
  const points = randomPoints(await stationExtent(db), 10_000)
  const paths = points.map(([lon, lat]) => nearestPath(lon, lat, ''))
  const env = { DATA_DIR: path.join(ctx.tmpDir, 'pglite'), SEED_STATIONS: String(stations) }
  const measurements: Measurement[] = []

  /** Start-up until /readyz, then the first nearest answer (PGlite loads PostGIS lazily). */
  const started = async (server: ServerHandle, system: string, what: string) => {
    measurements.push({ case: what, system, wallMs: server.startupMs })
    const t0 = performance.now()
    const res = await fetch(server.url + paths[0])
    await res.arrayBuffer()
    if (!res.ok) throw new Error(`first nearest on ${server.label}: ${res.status}`)
    measurements.push({ case: `${what}: first nearest`, system, wallMs: performance.now() - t0 })
  }
  const qps = async (server: ServerHandle, system: string, database?: string) => {
    ctx.log(`nearest on ${system}`)
    await warmUp(server, paths, warmupS)
    const cpu = { serverPid: server.pid, ...(database ? { database } : {}) }
    const m = await runHttp({ baseUrl: server.url, paths, connections: 16, durationS, cpu })
    measurements.push({ case: 'nearest c=16', system, ...m })
    return m
  }

  ctx.log('PGlite first start (migrate + seed)')
  const first = await ctx.startServer({ label: 'B6-first', env, readyTimeoutMs: 600_000 })
  await started(first, 'pglite', 'first start (migrate + seed)')
  await first.stop()
  const again = await ctx.startServer({ label: 'B6-restart', env, readyTimeoutMs: 120_000 })
  await started(again, 'pglite', 'restart')
  const embedded = await qps(again, 'pglite')
  await again.stop()

  const native = await ctx.startServer({ label: 'B6-postgis', database: db })
  await started(native, 'postgis', 'start')
  const postgis = await qps(native, 'postgis', db.name)
  await native.stop()

  return [
    {
      id: 'B6',
      title: `embedded PGlite (${stations.toLocaleString('en')} stations)`,
      measurements,
      ratios: [
        { name: 'PGlite/PostGIS nearest QPS c=16', value: ratio(embedded.qps, postgis.qps) },
      ],
      budgets: [],
      notes: [
        'start = from spawning `node --import tsx server/src/index.ts` until /readyz answers and ' +
          'its station index has loaded; the ' +
          'first start creates the PGlite database in a fresh DATA_DIR, migrates and seeds it ' +
          `(${stations.toLocaleString('en')} stations, 24,000 demand points)`,
        'PGlite runs inside the server process: its CPU column includes the database',
      ],
    },
  ]
}
