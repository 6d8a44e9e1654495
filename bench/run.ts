// npm run bench -- [--stations N] [--only B1,B3] [--duration S] [--smoke] [--cpu-prof]
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { execFileSync } from 'node:child_process'
import { parseArgs } from 'node:util'
import { createContext } from './lib/context.ts'
import { withClient } from './lib/database.ts'
import { describeMachine } from './lib/machine.ts'
import { PGBENCH } from './lib/pgbench.ts'
import { budgetText, formatResults } from './lib/report.ts'
import { ROOT } from './lib/server.ts'
import { LIVE_STEPS, SCENARIO_IDS, type BenchOptions } from './lib/types.ts'
import type { LiveStep, ScenarioId, ScenarioResult } from './lib/types.ts'
import { nearestScenarios } from './scenarios/nearest.ts'
import { tileScenario } from './scenarios/tiles.ts'
import { coverageScenario } from './scenarios/coverage.ts'
import { embeddedScenario } from './scenarios/embedded.ts'
import { scaleScenario } from './scenarios/scale.ts'
import { historyScenario } from './scenarios/history.ts'
import { visibilityScenario } from './scenarios/visibility.ts'
import { runLiveBench } from './live/run.ts'

const USAGE = `Usage: npm run bench -- [options]       (npm run bench:smoke: the CI version)

Runs the benchmark scenarios of docs/PERFORMANCE.md against real PostgreSQL + PostGIS and
writes bench/results/<date>.json plus a table to stdout.

  --stations N   stations in the main bench database (default 100000; smoke 1000)
  --only LIST    scenarios to run, e.g. B1,B3 (default all: ${SCENARIO_IDS.join(',')}); B4's
                 steps can be named alone: ${LIVE_STEPS.join(',')}
  --duration S   seconds per measured step (default 10; smoke 1)
  --smoke        tiny sizes and second-long steps; budgets are not judged
  --cpu-prof     run the servers (and B4's client processes) under node --cpu-prof; summaries go into the results
  --out FILE     where to write the JSON (default bench/results/<date>.json; smoke: a temp file)

Environment: BENCH_DATABASE_URL, the admin connection that creates the bench databases
(default postgres://postgres@127.0.0.1:5432/postgres); PGBENCH, the pgbench binary.`

function parseCli(): { options: BenchOptions; out?: string } | undefined {
  const { values } = parseArgs({
    options: {
      stations: { type: 'string' },
      only: { type: 'string' },
      duration: { type: 'string' },
      smoke: { type: 'boolean', default: false },
      'cpu-prof': { type: 'boolean', default: false },
      out: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  })
  if (values.help) return undefined
  const smoke = values.smoke
  const number = (
    name: string,
    v: string | undefined,
    fallback: number,
    min: number,
    max: number,
  ) => {
    if (v === undefined) return fallback
    const n = Number(v)
    if (!Number.isFinite(n) || n < min || n > max) {
      throw new Error(`--${name} must be a number from ${min} to ${max}`)
    }
    return n
  }
  const named = (values.only ?? SCENARIO_IDS.join(',')).split(',').map((s) => s.trim())
  const scenario = (id: string) => SCENARIO_IDS.find((s) => s === id.toUpperCase())
  const step = (id: string) => LIVE_STEPS.find((s) => s.toUpperCase() === id.toUpperCase())
  const unknown = named.filter((id) => !scenario(id) && !step(id))
  if (unknown.length) throw new Error(`--only: unknown scenario ${unknown.join(', ')}`)
  const steps = named.flatMap((id) => step(id) ?? [])
  const only = new Set<ScenarioId>(named.flatMap((id) => scenario(id) ?? []))
  // B4 named whole runs every step
  const liveSteps = new Set<LiveStep>(steps.length && !only.has('B4') ? steps : LIVE_STEPS)
  if (steps.length) only.add('B4')
  const durationS = number('duration', values.duration, smoke ? 1 : 10, 1, 600)
  return {
    options: {
      stations: Math.round(
        number('stations', values.stations, smoke ? 1000 : 100_000, 1, 1_000_000),
      ),
      smoke,
      durationS,
      warmupS: smoke ? 0 : Math.min(3, durationS),
      only,
      liveSteps,
      cpuProf: values['cpu-prof'],
    },
    out: values.out,
  }
}

function failed(id: string, title: string, e: unknown): ScenarioResult {
  const error = e instanceof Error ? e.message : String(e)
  return { id, title, measurements: [], ratios: [], budgets: [], notes: [], error }
}

async function main(): Promise<number> {
  let cli
  try {
    cli = parseCli()
  } catch (e) {
    console.error(`${(e as Error).message}\n\n${USAGE}`)
    return 2
  }
  if (!cli) {
    console.log(USAGE)
    return 0
  }
  const { options } = cli
  const adminUrl = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'
  try {
    execFileSync(PGBENCH, ['--version'], { stdio: 'ignore' })
  } catch {
    console.error(`pgbench not found (${PGBENCH}): install postgresql-client or set PGBENCH`)
    return 2
  }
  try {
    await withClient(adminUrl, (c) => c.query('SELECT 1'))
  } catch (e) {
    console.error(
      `Cannot reach PostgreSQL at BENCH_DATABASE_URL (${adminUrl}): ${(e as Error).message}`,
    )
    return 2
  }

  const stamp = new Date().toISOString()
  const resultsDir = path.join(ROOT, 'bench', 'results')
  const out =
    cli.out ??
    (options.smoke
      ? path.join(os.tmpdir(), `yizhan-bench-smoke-${stamp.slice(0, 10)}.json`)
      : path.join(resultsDir, `${stamp.slice(0, 10)}.json`))
  const profileDir = path.join(resultsDir, 'profiles', stamp.replace(/[:.]/g, '-'))
  const ctx = createContext(options, adminUrl, profileDir)
  const interrupt = (signal: NodeJS.Signals) => {
    ctx.log(`${signal}: stopping`)
    void ctx.close().finally(() => process.exit(130))
  }
  process.once('SIGINT', interrupt)
  process.once('SIGTERM', interrupt)

  const wants = (id: ScenarioId) => options.only.has(id)
  const results: ScenarioResult[] = []
  const run = async (ids: ScenarioId[], title: string, fn: () => Promise<ScenarioResult[]>) => {
    const selected = ids.filter(wants)
    if (!selected.length) return
    ctx.log(`${selected.join(', ')}: ${title}`)
    try {
      results.push(...(await fn()))
    } catch (e) {
      ctx.log(`${selected.join(', ')} failed: ${(e as Error).stack ?? e}`)
      results.push(...selected.map((id) => failed(id, title, e)))
    }
  }
  let machine
  try {
    machine = await describeMachine(adminUrl)
    await run(['B1', 'B2'], 'nearest', () =>
      nearestScenarios(ctx, { b1: wants('B1'), b2: wants('B2') }),
    )
    await run(['B3'], 'tiles', () => tileScenario(ctx))
    await run(['B5'], 'coverage', () => coverageScenario(ctx))
    await run(['B4'], 'live fan-out', () => runLiveBench(ctx))
    await run(['B6'], 'embedded', () => embeddedScenario(ctx))
    await run(['B7'], 'scale', () => scaleScenario(ctx))
    await run(['B8'], 'history', () => historyScenario(ctx))
    await run(['B9'], 'visibility', async () => [await visibilityScenario(ctx)])
  } finally {
    await ctx.close()
  }

  const table = formatResults(results)
  console.log(`\n${table}`)
  const budgets = results.flatMap((r) => r.budgets.map((b) => `${r.id}  ${budgetText(b)}`))
  if (budgets.length) console.log(`Budgets:\n${budgets.map((b) => `  ${b}`).join('\n')}\n`)
  fs.mkdirSync(path.dirname(out), { recursive: true })
  fs.writeFileSync(
    out,
    JSON.stringify(
      {
        startedAt: stamp,
        options: { ...options, only: [...options.only], liveSteps: [...options.liveSteps] },
        machine,
        scenarios: results,
      },
      null,
      2,
    ) + '\n',
  )
  console.log(`Results written to ${path.relative(process.cwd(), out) || out}`)
  // Not a timed test: only scenarios that broke, or requests that failed, fail the run.
  const broken = results.filter((r) => r.error || r.measurements.some((m) => (m.errors ?? 0) > 0))
  if (broken.length) console.error(`Failed: ${broken.map((r) => r.id).join(', ')}`)
  return broken.length ? 1 : 0
}

process.exitCode = await main()
