// B7 scale: nearest at c=16 on 10 k, 100 k and 1 M stations, each its own database, with the
// identical SQL through pgbench alongside to tell the API's share from the database's, and
// the memory the station index takes, by part, and the process's.
import { runHttp, warmUp } from '../lib/http.ts'
import { captureNearestSql, nearestPath, nearestScript, stationExtent } from '../lib/nearest.ts'
import { measurePgbench } from '../lib/pgbench.ts'
import { budget } from '../lib/report.ts'
import { randomPoints, ratio } from '../lib/stats.ts'
import type { BenchContext, Measurement, ScenarioResult } from '../lib/types.ts'

/**
 * The station index's own bytes (its searches' columns and tree, and its cached station JSON),
 * and the process's: the JS heap in use and the memory outside it (typed arrays, Buffers).
 */
async function memoryMb(url: string) {
  const metrics = await (await fetch(`${url}/metrics`)).text()
  const mb = (name: string) =>
    Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(metrics)?.[1]) / 2 ** 20
  const heap = mb('nodejs_heap_size_used_bytes')
  const external = mb('nodejs_external_memory_bytes')
  return {
    search: mb('yizhan_station_index_bytes\\{part="search"\\}'),
    bodies: mb('yizhan_station_index_bytes\\{part="bodies"\\}'),
    process: heap + external,
  }
}

export async function scaleScenario(ctx: BenchContext): Promise<ScenarioResult[]> {
  const { durationS, warmupS, smoke } = ctx.options
  const sizes = smoke ? [1000, 2000, 5000] : [10_000, 100_000, 1_000_000]
  const measurements: Measurement[] = []
  const p99: number[] = []
  /** The memory in use once the station index has loaded, before any request, and after the run. */
  const memory: Awaited<ReturnType<typeof memoryMb>>[] = []
  const memoryAfter: Awaited<ReturnType<typeof memoryMb>>[] = []
  for (const stations of sizes) {
    const db = await ctx.database(stations)
    const box = await stationExtent(db)
    const paths = randomPoints(box, 10_000).map(([lon, lat]) => nearestPath(lon, lat, ''))
    const script = nearestScript(await captureNearestSql(db, ''), box)
    const server = await ctx.startServer({ label: `B7-${stations}`, database: db })
    const label = stations.toLocaleString('en')
    ctx.log(`${label} stations`)
    memory.push(await memoryMb(server.url))
    await warmUp(server, paths, warmupS)
    const cpu = { serverPid: server.pid, database: db.name }
    const api = await runHttp({ baseUrl: server.url, paths, connections: 16, durationS, cpu })
    const sql = await measurePgbench({
      db,
      script,
      clients: 16,
      durationS,
      tmpDir: ctx.tmpDir,
      serverPid: server.pid,
    })
    memoryAfter.push(await memoryMb(server.url))
    await server.stop()
    measurements.push({
      case: `${label} stations c=16`,
      system: 'api',
      ...api,
      extra: {
        ...api.extra,
        indexSearchMb: Math.round(memory.at(-1)!.search * 10) / 10,
        indexBodiesMb: Math.round(memory.at(-1)!.bodies * 10) / 10,
        processMbAtStart: Math.round(memory.at(-1)!.process),
        processMbAfter: Math.round(memoryAfter.at(-1)!.process),
      },
    })
    measurements.push({ case: `${label} stations c=16`, system: 'sql', ...sql })
    p99.push(api.p99Ms ?? NaN)
  }
  const [smallest, largest] = [sizes[0]!, sizes[sizes.length - 1]!].map((n) =>
    n.toLocaleString('en'),
  )
  const growth = ratio(p99[p99.length - 1], p99[0])
  /** The growth from the smallest to the largest database, per 100,000 stations. */
  const perHundredK = (mb: number[]) =>
    ((mb.at(-1)! - mb[0]!) / (sizes[sizes.length - 1]! - sizes[0]!)) * 100_000
  const searchAtLargest = memory.at(-1)!.search
  return [
    {
      id: 'B7',
      title: 'nearest at scale',
      measurements,
      ratios: [
        { name: `API p99 ${largest} / ${smallest} stations`, value: growth },
        {
          name: 'index search MB per 100,000 stations',
          value: perHundredK(memory.map((m) => m.search)),
        },
        { name: `index cached JSON MB at ${largest} stations`, value: memory.at(-1)!.bodies },
        {
          name: 'process heap + external MB per 100,000 stations at start',
          value: perHundredK(memory.map((m) => m.process)),
        },
        {
          name: 'process heap + external MB per 100,000 stations after the run',
          value: perHundredK(memoryAfter.map((m) => m.process)),
        },
      ],
      budgets: [
        budget(`API p99 at ${largest} ÷ at ${smallest} stations`, growth, '<=', 2, '', !smoke),
        budget(
          `API p99 at ${largest} stations`,
          p99[p99.length - 1] ?? null,
          '<=',
          10,
          ' ms',
          !smoke,
        ),
        budget(`index memory at ${largest} stations`, searchAtLargest, '<=', 100, ' MB', !smoke),
      ],
      notes: [
        'random points over each database’s station extent (all of Hunan), as in B1',
        'index memory: what the searches read (typed-array columns, tree, schedules), from ' +
          '/metrics once loaded; beside it the cached station JSON, a cache bounded by ' +
          'STATION_BODY_CACHE_MB (misses read the stations from the database), and the ' +
          "process's heap in use plus external memory, which also hold the rest of the app",
      ],
    },
  ]
}
