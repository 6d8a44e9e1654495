// B7 scale: nearest at c=16 on 10 k, 100 k and 1 M stations, each its own database, with the
// identical SQL through pgbench alongside to tell the API's share from the database's.
import { runHttp, warmUp } from '../lib/http.ts'
import { captureNearestSql, nearestPath, nearestScript, stationExtent } from '../lib/nearest.ts'
import { measurePgbench } from '../lib/pgbench.ts'
import { budget } from '../lib/report.ts'
import { randomPoints, ratio } from '../lib/stats.ts'
import type { BenchContext, Measurement, ScenarioResult } from '../lib/types.ts'

export async function scaleScenario(ctx: BenchContext): Promise<ScenarioResult[]> {
  const { durationS, warmupS, smoke } = ctx.options
  const sizes = smoke ? [1000, 2000, 5000] : [10_000, 100_000, 1_000_000]
  const measurements: Measurement[] = []
  const p99: number[] = []
  for (const stations of sizes) {
    const db = await ctx.database(stations)
    const box = await stationExtent(db)
    const paths = randomPoints(box, 10_000).map(([lon, lat]) => nearestPath(lon, lat, ''))
    const script = nearestScript(await captureNearestSql(db, ''), box)
    const server = await ctx.startServer({ label: `B7-${stations}`, database: db })
    const label = stations.toLocaleString('en')
    ctx.log(`${label} stations`)
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
    measurements.push({ case: `${label} stations c=16`, system: 'api', ...api })
    measurements.push({ case: `${label} stations c=16`, system: 'sql', ...sql })
    p99.push(api.p99Ms ?? NaN)
  }
  const [smallest, largest] = [sizes[0]!, sizes[sizes.length - 1]!].map((n) =>
    n.toLocaleString('en'),
  )
  const growth = ratio(p99[p99.length - 1], p99[0])
  return [
    {
      id: 'B7',
      title: 'nearest at scale',
      measurements,
      ratios: [{ name: `API p99 ${largest} / ${smallest} stations`, value: growth }],
      budgets: [
        budget(`API p99 at ${largest} ÷ at ${smallest} stations`, growth, '<=', 2, '', !smoke),
      ],
      notes: ['random points over each database’s station extent (all of Hunan), as in B1'],
    },
  ]
}
