import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import pg from 'pg'
import { freePort } from './freePort.ts'

type Tool = (name: string) => string

/**
 * How to run initdb and postgres: from `pg_config --bindir` when it knows, else from the PATH.
 * `missing` says why not when neither has them; REQUIRE_POSTGIS=1 makes that a failure.
 */
export function findPostgres(): { tool?: Tool; missing?: string } {
  const pgConfig = spawnSync('pg_config', ['--bindir'], { encoding: 'utf8' })
  const bindir = pgConfig.status === 0 ? pgConfig.stdout.trim() : undefined
  const candidates: Tool[] = [(name) => name]
  if (bindir) candidates.unshift((name) => path.join(bindir, name))
  const tool = candidates.find((t) =>
    ['initdb', 'postgres'].every((name) => spawnSync(t(name), ['--version']).status === 0),
  )
  if (tool) return { tool }
  const missing = 'initdb and postgres are neither in `pg_config --bindir` nor on the PATH'
  if (process.env.REQUIRE_POSTGIS === '1')
    throw new Error(`REQUIRE_POSTGIS=1 but a PostgreSQL of our own cannot start: ${missing}`)
  return { missing }
}

/** PostgreSQL refuses to run as root: then it runs as the postgres user. */
function runAs(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }))
  return { uid: id('-u'), gid: id('-g') }
}

/** The processes whose parent is `pid` (a postmaster's backends and helpers). */
function childrenOf(pid: number): number[] {
  const children: number[] = []
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8')
      // The fields after the command name, which may hold spaces and parentheses.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
      if (ppid === pid) children.push(Number(entry))
    } catch {
      // gone meanwhile
    }
  }
  return children
}

async function waitUntilAccepting(url: string, child: ChildProcess, log: string) {
  const until = Date.now() + 30_000
  for (;;) {
    if (child.exitCode !== null)
      throw new Error(`postgres exited (${child.exitCode}): ${fs.readFileSync(log, 'utf8')}`)
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1000 })
    client.on('error', () => {})
    try {
      await client.connect()
      await client.end()
      return
    } catch {
      if (Date.now() > until)
        throw new Error(`postgres did not start: ${fs.readFileSync(log, 'utf8')}`)
      await new Promise((r) => setTimeout(r, 100))
    }
  }
}

/**
 * A PostgreSQL of the test's own: initdb in a temporary folder, listening on a free loopback
 * port (never the machine's shared server), with a database `yizhan` that has PostGIS.
 * `freeze()` stops the postmaster and every backend (SIGSTOP) as a hung server would be;
 * `restart()` shuts it down fast and starts it again on the same port and data.
 */
export async function startPostgres(port?: number) {
  const { tool: found, missing } = findPostgres()
  if (!found) throw new Error(missing)
  const tool = found
  const listenOn = port ?? (await freePort())
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'yizhan-pg-'))
  const data = path.join(dir, 'data')
  const log = path.join(dir, 'postgres.log')
  const user = runAs()
  if (user) fs.chownSync(dir, user.uid, user.gid)
  execFileSync(
    tool('initdb'),
    ['-D', data, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--no-sync'],
    {
      stdio: 'pipe',
      ...user,
    },
  )

  let postmaster: ChildProcess | undefined
  let frozen: number[] = []
  const server = `postgres://postgres@127.0.0.1:${listenOn}`

  async function start() {
    const out = fs.openSync(log, 'a')
    if (user) fs.fchownSync(out, user.uid, user.gid)
    const args = ['-D', data, '-p', String(listenOn), '-k', dir, '-c', 'listen_addresses=127.0.0.1']
    // Throwaway data: no need to survive a power cut.
    args.push('-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off')
    postmaster = spawn(tool('postgres'), args, { stdio: ['ignore', out, out], ...user })
    fs.closeSync(out)
    await waitUntilAccepting(`${server}/postgres`, postmaster, log)
  }

  function pids(): number[] {
    const pid = postmaster?.pid
    return pid ? [pid, ...childrenOf(pid)] : []
  }

  function signal(pids: number[], sig: NodeJS.Signals) {
    for (const pid of pids) {
      try {
        process.kill(pid, sig)
      } catch {
        // already gone
      }
    }
  }

  function thaw() {
    signal(frozen, 'SIGCONT')
    frozen = []
  }

  async function shutDown() {
    const running = postmaster
    postmaster = undefined
    thaw()
    if (!running || running.exitCode !== null) return
    const exited = new Promise((r) => running.once('exit', r))
    running.kill('SIGINT') // fast shutdown: ends the sessions, keeps the data
    const killer = setTimeout(() => running.kill('SIGKILL'), 10_000)
    await exited
    clearTimeout(killer)
  }

  // A test process that dies must not leave a server behind, least of all a frozen one.
  const orphaned = () => {
    thaw()
    postmaster?.kill('SIGQUIT')
  }
  process.once('exit', orphaned)

  await start()
  const admin = new pg.Client({ connectionString: `${server}/postgres` })
  await admin.connect()
  try {
    await admin.query('CREATE DATABASE yizhan')
  } finally {
    await admin.end()
  }
  const url = `${server}/yizhan`
  const db = new pg.Client({ connectionString: url })
  await db.connect()
  try {
    await db.query('CREATE EXTENSION postgis')
  } finally {
    await db.end()
  }

  return {
    url,
    port: listenOn,
    /** The postmaster's PID first, then its backends' and helpers', as they are now. */
    get pids() {
      return pids()
    },
    /** Stops every process of the server where it stands: connections stay open, unanswered. */
    freeze() {
      // The postmaster first, so that it forks no new backend meanwhile.
      const all = pids()
      signal(all.slice(0, 1), 'SIGSTOP')
      frozen = [...all, ...childrenOf(all[0]!).filter((p) => !all.includes(p))]
      signal(frozen.slice(1), 'SIGSTOP')
    },
    thaw,
    async restart() {
      await shutDown()
      await start()
    },
    /** Shuts the server down and deletes its data. */
    async stop() {
      process.off('exit', orphaned)
      await shutDown()
      fs.rmSync(dir, { recursive: true, force: true })
    },
  }
}

export type PgInstance = Awaited<ReturnType<typeof startPostgres>>
