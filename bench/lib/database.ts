import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { spawn } from 'node:child_process'
import { track } from './children.ts'
import pg from 'pg'
import { ROOT, tail } from './server.ts'
import type { BenchDatabase } from './types.ts'

export const databaseName = (stations: number) => `yizhan_bench_${stations}`

export function databaseUrl(adminUrl: string, name: string): string {
  const url = new URL(adminUrl)
  url.pathname = `/${name}`
  return url.toString()
}

export async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    return await fn(client)
  } finally {
    await client.end()
  }
}

function hashFiles(files: string[]): string {
  const hash = crypto.createHash('sha256')
  for (const f of files.sort()) hash.update(f).update(fs.readFileSync(path.join(ROOT, f)))
  return hash.digest('hex').slice(0, 12)
}

const dirFiles = (dir: string) =>
  fs
    .readdirSync(path.join(ROOT, dir))
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
    .map((f) => `${dir}/${f}`)

/**
 * The database comment written once seeding finished. A changed migration rebuilds the
 * database; a changed generator (or password) reseeds it; otherwise it is reused as is.
 */
function marker(stations: number, password: string) {
  const schema = hashFiles(dirFiles('db/migrations'))
  const seed = crypto
    .createHash('sha256')
    .update(hashFiles(dirFiles('seed')))
    .update(password)
    .digest('hex')
    .slice(0, 12)
  return { schema, seed, text: `yizhan-bench stations=${stations} schema=${schema} seed=${seed}` }
}

function runTsx(
  script: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  logFile: string,
): Promise<void> {
  const log = fs.openSync(logFile, 'a')
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', log, log],
  })
  fs.closeSync(log)
  track(child)
  return new Promise((resolve, reject) => {
    child.on('error', reject)
    child.on('exit', (code) =>
      code === 0
        ? resolve()
        : reject(new Error(`${script} ${args.join(' ')} failed (${code}):\n${tail(logFile)}`)),
    )
  })
}

export interface EnsureDatabaseOptions {
  adminUrl: string
  stations: number
  password: string
  logDir: string
  log(message: string): void
}

export async function ensureDatabase(o: EnsureDatabaseOptions): Promise<BenchDatabase> {
  const name = databaseName(o.stations)
  const url = databaseUrl(o.adminUrl, name)
  const want = marker(o.stations, o.password)
  const comment = await withClient(o.adminUrl, async (c) => {
    const { rows } = await c.query<{ comment: string | null }>(
      `SELECT shobj_description(oid, 'pg_database') AS comment FROM pg_database WHERE datname = $1`,
      [name],
    )
    if (rows.length === 0) return undefined
    return rows[0]!.comment ?? ''
  })
  if (comment === want.text) return { name, url, stations: o.stations }

  const rebuild = comment === undefined || !comment.includes(`schema=${want.schema}`)
  const logFile = path.join(o.logDir, `${name}.log`)
  const started = performance.now()
  if (rebuild) {
    o.log(`creating ${name}`)
    await withClient(o.adminUrl, async (c) => {
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
      await c.query(`CREATE DATABASE ${name}`)
    })
  }
  o.log(
    `seeding ${o.stations.toLocaleString('en')} stations into ${name}` +
      (o.stations >= 500_000 ? ' (minutes, once)' : ''),
  )
  // The seed command migrates first, as `npm run seed` does.
  await runTsx(
    'seed/index.ts',
    ['--stations', String(o.stations)],
    { DATABASE_URL: url, SEED_DEMO_PASSWORD: o.password },
    logFile,
  )
  await withClient(url, async (c) => {
    const { rows } = await c.query<{ n: string }>('SELECT count(*) AS n FROM stations')
    if (Number(rows[0]!.n) !== o.stations) {
      throw new Error(`${name} holds ${rows[0]!.n} stations after seeding, not ${o.stations}`)
    }
    // The comment is the marker: written last, so an interrupted seed is redone next time.
    await c.query(`COMMENT ON DATABASE ${name} IS '${want.text}'`)
  })
  o.log(`${name} ready in ${((performance.now() - started) / 1000).toFixed(1)} s`)
  return { name, url, stations: o.stations }
}

/**
 * The seed dates live reports up to 100 minutes before it ran; hours later they are all stale
 * and `available=true` would match nothing. Shifting them so that the newest is now again
 * restores the seeded mix (about 92 % fresh) without reseeding.
 */
export async function refreshLiveStatus(db: BenchDatabase): Promise<void> {
  await withClient(db.url, async (c) => {
    const { rowCount } = await c.query(`
      WITH shift AS (
        SELECT now() - max(reported_at) AS by FROM station_status
      )
      UPDATE station_status st SET reported_at = st.reported_at + shift.by
      FROM shift
      WHERE st.reported_at IS NOT NULL AND shift.by > interval '1 minute'`)
    if (rowCount) await c.query('VACUUM ANALYZE station_status')
  })
}
