import fs from 'node:fs'
import path from 'node:path'
import { spawn } from 'node:child_process'
import { track } from './children.ts'
import { perOp, startCpu } from './cpu.ts'
import { Latencies } from './stats.ts'
import type { BenchDatabase, Measurement } from './types.ts'

export const PGBENCH = process.env.PGBENCH ?? 'pgbench'

/** A query as knex hands it to node-pg: native `$n` placeholders and their values. */
export interface NativeQuery {
  sql: string
  bindings: readonly unknown[]
}

export interface Script {
  /** pgbench script text: `\set` lines, then the statements with `:var` parameters. */
  text: string
  /** -D definitions: the bindings that stay the same for every transaction. */
  defines: Record<string, string>
}

/** How node-pg sends a value as a text parameter. */
export function pgText(value: unknown): string {
  if (value instanceof Date) return value.toISOString()
  if (Array.isArray(value)) {
    return `{${value.map((v) => (v === null ? 'NULL' : `"${String(v).replace(/["\\]/g, '\\$&')}"`)).join(',')}}`
  }
  if (typeof value === 'object' && value !== null) return JSON.stringify(value)
  return String(value)
}

/**
 * Turns the statements the server sends into a pgbench script that sends the same text with
 * the same parameters: `vary` names the bindings that change per transaction (they must be set
 * by `header`, e.g. `\set lon …`), every other binding becomes a -D constant. With
 * `-M prepared` each `:var` goes over the wire as a parameter, as node-pg sends `$n`.
 */
export function scriptFrom(
  header: string[],
  queries: readonly NativeQuery[],
  vary: (value: unknown) => string | undefined,
): Script {
  const defines: Record<string, string> = {}
  const statements = queries.map((q, qi) => {
    const names = q.bindings.map((value, bi) => {
      const varying = vary(value)
      if (varying) return varying
      const name = `q${qi}_${bi + 1}`
      defines[name] = pgText(value)
      return name
    })
    if (q.sql.includes(';')) throw new Error('a statement with ";" cannot go into a pgbench script')
    return `${q.sql.replace(/\$(\d+)/g, (_, n: string) => `:${names[Number(n) - 1]}`)};`
  })
  return { text: [...header, ...statements].join('\n') + '\n', defines }
}

export interface PgbenchRun {
  db: BenchDatabase
  script: Script
  clients: number
  durationS: number
  tmpDir: string
  /** Counts the CPU of backends of the server's database too (the bench database). */
  serverPid?: number
  /**
   * prepared (default): parsed and planned once per connection, as the server's hot queries.
   * extended: parsed and planned per statement, as knex's unnamed statements are.
   */
  mode?: 'prepared' | 'extended'
}

export interface PgbenchResult extends Omit<Measurement, 'case' | 'system'> {
  /** Average latency of each script line (pgbench -r), for telling statements apart. */
  statements: { ms: number; line: string }[]
}

export async function warmUpPgbench(
  db: BenchDatabase,
  script: Script,
  tmpDir: string,
  seconds: number,
) {
  if (seconds > 0) await runPgbench({ db, script, clients: 16, durationS: seconds, tmpDir })
}

/** `pgbench -M prepared -j 2 -c C -T D`, latencies read exactly from its per-transaction log. */
export async function runPgbench(run: PgbenchRun): Promise<PgbenchResult> {
  const dir = fs.mkdtempSync(path.join(run.tmpDir, 'pgbench-'))
  const scriptFile = path.join(dir, 'script.sql')
  fs.writeFileSync(scriptFile, run.script.text)
  const url = new URL(run.db.url)
  const args = [
    '-n',
    '-M',
    run.mode ?? 'prepared',
    '-c',
    String(run.clients),
    '-j',
    String(Math.min(2, run.clients)),
    '-T',
    String(Math.max(1, Math.round(run.durationS))),
    '-r',
    '-l',
    `--log-prefix=${path.join(dir, 'log')}`,
    '--random-seed=20261122',
    '-f',
    scriptFile,
    ...Object.entries(run.script.defines).flatMap(([k, v]) => ['-D', `${k}=${v}`]),
    '-h',
    url.hostname,
    '-p',
    url.port || '5432',
    '-U',
    decodeURIComponent(url.username) || 'postgres',
    run.db.name,
  ]
  const env = { ...process.env, ...(url.password ? { PGPASSWORD: url.password } : {}) }
  const child = spawn(PGBENCH, args, { env, stdio: ['ignore', 'pipe', 'pipe'] })
  track(child)
  let out = ''
  child.stdout.on('data', (d: Buffer) => (out += d))
  child.stderr.on('data', (d: Buffer) => (out += d))
  const meter = startCpu({
    generatorPid: child.pid,
    serverPid: run.serverPid,
    database: run.db.name,
  })
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject)
    child.on('exit', resolve)
  })
  const cpu = meter.stop()
  const tps = out.match(/^tps = ([\d.]+) \(without initial connection time\)/m)
  if (code !== 0 || !tps) {
    fs.rmSync(dir, { recursive: true, force: true })
    throw new Error(`pgbench failed (${code}): ${out.trim().split('\n').slice(-8).join('\n')}`)
  }
  const latencies = new Latencies()
  let failed = 0
  for (const f of fs.readdirSync(dir).filter((f) => f.startsWith('log.'))) {
    for (const line of fs.readFileSync(path.join(dir, f), 'utf8').split('\n')) {
      const time = line.split(' ')[2]
      if (time === undefined) continue
      if (/^\d+$/.test(time)) latencies.add(Number(time) / 1000)
      else failed++
    }
  }
  fs.rmSync(dir, { recursive: true, force: true })
  const perStatement = out.slice(Math.max(0, out.indexOf('statement latencies')))
  const statements = [...perStatement.matchAll(/^\s+([\d.]+)\s+\d+\s+(\S.*)$/gm)].map((m) => ({
    ms: Number(m[1]),
    line: m[2]!.slice(0, 60),
  }))
  return {
    qps: Math.round(Number(tps[1])),
    ...latencies.summary(),
    count: latencies.count,
    errors: failed,
    cpu,
    cpuMsPerOp: perOp(cpu, latencies.count),
    statements,
  }
}

/** A pgbench run as one measurement row, without its per-statement latencies. */
export async function measurePgbench(run: PgbenchRun) {
  const { statements: _s, ...measurement } = await runPgbench(run)
  return measurement
}
