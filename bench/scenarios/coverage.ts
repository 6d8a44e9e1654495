// B5 coverage analysis: wall time of a planner's gaps and suggestions requests, cold (a
// question not asked before) and answered again (the server caches answers per data version).
import { login } from '../lib/http.ts'
import { budget } from '../lib/report.ts'
import { boxAround, median } from '../lib/stats.ts'
import { CHANGSHA } from './tiles.ts'
import type { BenchContext, Measurement, ScenarioResult } from '../lib/types.ts'

const HUNAN = [108.8, 24.65, 114.25, 30.1]

interface Case {
  name: string
  path: string
  query: Record<string, string>
  budgetS: number
  /** What to tell about an answer: how big it was. */
  size(body: unknown): Record<string, number>
}

async function timed(url: string, cookie: string) {
  const started = performance.now()
  const res = await fetch(url, { headers: { cookie } })
  const text = await res.text()
  const wallMs = performance.now() - started
  if (!res.ok) throw new Error(`GET ${url}: ${res.status} ${text.slice(0, 300)}`)
  return {
    wallMs,
    cache: res.headers.get('x-cache'),
    body: JSON.parse(text) as unknown,
    bytes: text.length,
  }
}

export async function coverageScenario(ctx: BenchContext): Promise<ScenarioResult[]> {
  const { smoke } = ctx.options
  const db = await ctx.database(ctx.options.stations)
  const changsha = boxAround(CHANGSHA.lon, CHANGSHA.lat, 60).join(',')
  const gapsSize = (b: unknown) => {
    const g = b as { summary: { cells: number; gap_cells: number } }
    return { cells: g.summary.cells, gapCells: g.summary.gap_cells }
  }
  const cases: Case[] = [
    {
      name: 'Changsha gaps, 500 m cells',
      path: '/api/v1/coverage/gaps',
      query: { bbox: changsha, cell_m: '500' },
      budgetS: 2,
      size: gapsSize,
    },
    {
      name: 'Hunan gaps, 2 km cells',
      path: '/api/v1/coverage/gaps',
      query: { bbox: HUNAN.join(','), cell_m: '2000' },
      budgetS: 5,
      size: gapsSize,
    },
    {
      name: 'Changsha 10 suggestions',
      path: '/api/v1/coverage/suggestions',
      query: { bbox: changsha, k: '10' },
      budgetS: 2,
      size: (b) => ({ suggestions: (b as { suggestions: unknown[] }).suggestions.length }),
    },
  ]
  const server = await ctx.startServer({ label: 'B5', database: db })
  const cookie = await login(server.url, 'planner', ctx.password)
  const cold = smoke ? 1 : 3
  const cached = smoke ? 1 : 3
  const measurements: Measurement[] = []
  const result: ScenarioResult = {
    id: 'B5',
    title: `coverage analysis (${db.stations.toLocaleString('en')} stations)`,
    measurements,
    ratios: [],
    budgets: [],
    notes: [
      'sequential requests as the planner; reach 1,000 m. Cold: each repetition asks with a ' +
        'radius_m a hundredth of a metre longer (1000, 1000.01, …) so the answer cache cannot ' +
        'serve it; cached: the first question asked again (X-Cache: hit). The first cold one ' +
        'is the first analysis after the server started',
      'budgets are judged on the median of the cold repetitions',
    ],
  }
  for (const c of cases) {
    ctx.log(c.name)
    const url = (radius: string) =>
      `${server.url}${c.path}?${new URLSearchParams({ ...c.query, radius_m: radius })}`
    const coldMs: number[] = []
    for (let i = 0; i < cold; i++) {
      const r = await timed(url((1000 + i / 100).toFixed(2)), cookie)
      coldMs.push(r.wallMs)
      measurements.push({
        case: `${c.name} cold ${i + 1}`,
        system: 'api',
        wallMs: r.wallMs,
        extra: { ...c.size(r.body), kB: Math.round(r.bytes / 1000), cache: r.cache },
      })
    }
    for (let i = 0; i < cached; i++) {
      const r = await timed(url('1000.00'), cookie)
      measurements.push({
        case: `${c.name} again ${i + 1}`,
        system: 'api',
        wallMs: r.wallMs,
        extra: { cache: r.cache },
      })
    }
    result.budgets.push(
      budget(`${c.name}, median cold`, median(coldMs) / 1000, '<=', c.budgetS, ' s', !smoke),
    )
  }
  const profile = await server.stop()
  if (profile) result.profiles = [profile]
  return [result]
}
