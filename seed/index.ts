// npm run seed -- [--stations N] [--seed S] [--demand N] [--if-empty]
import { parseArgs } from 'node:util'
import cliProgress from 'cli-progress'
import { ConfigError, loadConfig } from '../server/src/config.ts'
import { openDatabase } from '../server/src/db/knex.ts'
import { migrateLatest } from '../server/src/db/migrate.ts'
import { DEFAULT_DEMAND_POINTS, DEFAULT_SEED, DEFAULT_STATIONS } from './generate.ts'
import { describeDemoAccounts, seedDatabase } from './seed.ts'

const MAX_STATIONS = 1_000_000
const MAX_DEMAND_POINTS = 2_000_000

const USAGE = `Usage: npm run seed -- [--stations N] [--seed S] [--demand N] [--if-empty]

Replaces all stations, live status, demand points and accounts with generated Hunan data.

  --stations N  stations, 1 to ${MAX_STATIONS} (default ${DEFAULT_STATIONS})
  --seed S      random seed; the same seed gives the same data (default '${DEFAULT_SEED}')
  --demand N    demand points, 0 to ${MAX_DEMAND_POINTS} (default ${DEFAULT_DEMAND_POINTS})
  --if-empty    do nothing when the database already has stations (for container start-up)

Environment: DATABASE_URL (unset: the embedded database under DATA_DIR), SEED_DEMO_PASSWORD
(password of every demo account; unset: random ones, printed once).`

class UsageError extends Error {}

function wholeNumber(
  name: string,
  value: string | undefined,
  fallback: number,
  min: number,
  max: number,
) {
  if (value === undefined) return fallback
  const n = Number(value)
  if (!/^\d+$/.test(value) || n < min || n > max) {
    throw new UsageError(`--${name} must be a whole number from ${min} to ${max}, got '${value}'`)
  }
  return n
}

function parseCli(args: string[]) {
  let values
  try {
    ;({ values } = parseArgs({
      args,
      options: {
        stations: { type: 'string' },
        seed: { type: 'string' },
        demand: { type: 'string' },
        'if-empty': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }))
  } catch (e) {
    // parseArgs reports unknown options, missing values and stray arguments as TypeErrors.
    throw new UsageError((e as Error).message)
  }
  if (values.seed === '') throw new UsageError('--seed must not be empty')
  return {
    help: values.help ?? false,
    ifEmpty: values['if-empty'] ?? false,
    seed: values.seed ?? DEFAULT_SEED,
    stations: wholeNumber('stations', values.stations, DEFAULT_STATIONS, 1, MAX_STATIONS),
    demand: wholeNumber('demand', values.demand, DEFAULT_DEMAND_POINTS, 0, MAX_DEMAND_POINTS),
  }
}

const number = (n: number) => n.toLocaleString('en-US')

async function main(): Promise<number> {
  let args
  try {
    args = parseCli(process.argv.slice(2))
  } catch (e) {
    if (!(e instanceof UsageError)) throw e
    console.error(`${e.message}\n\n${USAGE}`)
    return 2
  }
  if (args.help) {
    console.log(USAGE)
    return 0
  }
  const config = loadConfig()
  const db = await openDatabase({ databaseUrl: config.DATABASE_URL, dataDir: config.DATA_DIR })
  try {
    await migrateLatest(db.knex)
    if (args.ifEmpty) {
      const row = await db.knex('stations').count<{ n: number }[]>({ n: '*' }).first()
      if (Number(row?.n) > 0) {
        console.log('The database already has stations; not seeding (--if-empty).')
        return 0
      }
    }
    const target =
      db.backend === 'pglite' ? `the embedded database in ${config.DATA_DIR}` : 'DATABASE_URL'
    console.log(
      `Seeding ${number(args.stations)} stations and ${number(args.demand)} demand points ` +
        `(seed '${args.seed}') into ${target}`,
    )
    const total = args.stations + args.demand
    const bar =
      total >= 50_000
        ? new cliProgress.SingleBar(
            {
              format: '  {bar} {percentage}% | {value}/{total} | {phase} | {duration_formatted}',
              stream: process.stdout,
            },
            cliProgress.Presets.shades_classic,
          )
        : undefined
    bar?.start(total, 0, { phase: 'generating' })
    const started = performance.now()
    const summary = await seedDatabase(db.knex, {
      seed: args.seed,
      stations: args.stations,
      demandPoints: args.demand,
      demoPassword: config.SEED_DEMO_PASSWORD,
      onProgress: (p) => bar?.update(p.done, { phase: p.phase.replace('_', ' ') }),
    })
    bar?.stop()
    const seconds = ((performance.now() - started) / 1000).toFixed(1)
    console.log(
      `Seeded ${number(summary.stations)} stations, ${number(summary.demandPoints)} demand ` +
        `points and ${number(summary.managers)} station managers in ${seconds} s.`,
    )
    console.log(describeDemoAccounts(summary))
    return 0
  } finally {
    await db.close()
  }
}

try {
  process.exitCode = await main()
} catch (e) {
  if (e instanceof ConfigError) console.error(e.message)
  else console.error('Seed failed:', e)
  process.exitCode = 1
}
