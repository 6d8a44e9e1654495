// B7 scale: nearest at c=16 on 10 k, 100 k and 1 M stations, each its own database, with the
// identical SQL through pgbench alongside to tell the API's share from the database's, and
// the heap the station index takes.
import { runHttp, warmUp } from '../lib/http.ts'
import { captureNearestSql, nearestPath, nearestScript, stationExtent } from '../lib/nearest.ts'
import { measurePgbench } from '../lib/pgbench.ts'
import { budget } from '../lib/report.ts'
import { randomPoints, ratio } from '../lib/stats.ts'
import type { BenchContext, Measurement, ScenarioResult } from '../lib/types.ts'

async function usedHeapMb(url: string): Promise<number> {
  const metrics = await (await fetch(`${url}/metrics`)).text()
  return Number(/^nodejs_heap_size_used_bytes (\S+)$/m.exec(metrics)?.[1]) / 2 ** 20
}

export async function scaleScenario(ctx: BenchContext): Promise<ScenarioResult[]> {
  const { durationS, warmupS, smoke } = ctx.options
  const sizes = smoke ? [1000, 2000, 5000] : [10_000, 100_000, 1_000_000]
  const measurements: Measurement[] = []
  const p99: number[] = []
  /** The heap in use once the station index has loaded, before any request. */
  const heapMb: number[] = []
  for (const stations of sizes) {
    const db = await ctx.database(stations)
    const box = await stationExtent(db)
    const paths = randomPoints(box, 10_000).map(([lon, lat]) => nearestPath(lon, lat, ''))
    const script = nearestScript(await captureNearestSql(db, ''), box)
    const server = await ctx.startServer({ label: `B7-${stations}`, database: db })
    const label = stations.toLocaleString('en')
    ctx.log(`${label} stations`)
    heapMb.push(await usedHeapMb(server.url))
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
    await server.stop()
    measurements.push({
      case: `${label} stations c=16`,
      system: 'api',
      ...api,
      extra: { ...api.extra, heapMbAtStart: Math.round(heapMb[heapMb.length - 1]!) },
    })
    measurements.push({ case: `${label} stations c=16`, system: 'sql', ...sql })
    p99.push(api.p99Ms ?? NaN)
  }
  const [smallest, largest] = [sizes[0]!, sizes[sizes.length - 1]!].map((n) =>
    n.toLocaleString('en'),
  )
  const growth = ratio(p99[p99.length - 1], p99[0])
  const perHundredK =
    ((heapMb[heapMb.length - 1]! - heapMb[0]!) / (sizes[sizes.length - 1]! - sizes[0]!)) * 100_000
  const indexAtLargest = (perHundredK * sizes[sizes.length - 1]!) / 100_000
  return [
    {
      id: 'B7',
      title: 'nearest at scale',
      measurements,
      ratios: [
        { name: `API p99 ${largest} / ${smallest} stations`, value: growth },
        { name: 'heap MB per 100,000 stations (station index)', value: perHundredK },
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
        budget(`index memory at ${largest} stations`, indexAtLargest, '<=', 100, ' MB', !smoke),
      ],
      notes: [
        'random points over each database’s station extent (all of Hunan), as in B1',
        'index memory: the growth of the heap in use at start (index loaded, no request yet) ' +
          'from the smallest to the largest database, per station',
      ],
    },
  ]
}
