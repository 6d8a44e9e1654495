import fs from 'node:fs'
import net from 'node:net'
import path from 'node:path'
import { spawn } from 'node:child_process'
import { track } from './children.ts'
import { summariseProfileIn } from './profile.ts'
import type { ProfileSummary, ServerHandle, ServerOptions } from './types.ts'

export const ROOT = path.resolve(import.meta.dirname, '../..')
/** Another checkout's server, for before/after comparisons of a change; default this one. */
export const SERVER_DIR = path.resolve(process.env.BENCH_SERVER_DIR ?? ROOT)

export async function freePort(): Promise<number> {
  const srv = net.createServer()
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve))
  const { port } = srv.address() as net.AddressInfo
  await new Promise((resolve) => srv.close(resolve))
  return port
}

export function tail(file: string, lines = 20): string {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n')
  } catch {
    return ''
  }
}

export interface SpawnServerSettings extends ServerOptions {
  password: string
  logDir: string
  /** Under --cpu-prof: where V8 writes the profile. */
  profileDir?: string
}

/** The bench databases are never empty: no station indexed yet is an index still loading. */
async function indexLoaded(url: string): Promise<boolean> {
  const metrics = await (await fetch(`${url}/metrics`)).text()
  return /^yizhan_station_index_stations [1-9]\d*$/m.test(metrics)
}

/**
 * `node --import tsx server/src/index.ts`, what `npm start` runs minus the web build check,
 * started directly so that the pid we measure is the server's (the tsx CLI would add a parent).
 */
export async function spawnServer(s: SpawnServerSettings): Promise<ServerHandle> {
  const port = await freePort()
  const logFile = path.join(s.logDir, `server-${s.label}-${port}.log`)
  const log = fs.openSync(logFile, 'a')
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: 'production',
    PORT: String(port),
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    SEED_DEMO_PASSWORD: s.password,
    // Every benchmark client comes from this one address; a real server sees many.
    LIVE_MAX_CONNECTIONS_PER_ADDRESS: '1000000',
    LIVE_SUBSCRIBES_PER_ADDRESS_PER_MINUTE: '1000000',
    // B4's wall screens list a whole city of the 100,000-station set.
    LIVE_SNAPSHOT_MAX_STATIONS: '20000',
    ...s.env,
  }
  if (s.database) env.DATABASE_URL = s.database.url
  else delete env.DATABASE_URL
  const profileDir = s.profileDir && path.join(s.profileDir, `${s.label}-${port}`)
  const args = [
    ...(profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []),
    '--import',
    'tsx',
    'server/src/index.ts',
  ]
  const started = performance.now()
  const child = spawn(process.execPath, args, { cwd: SERVER_DIR, env, stdio: ['ignore', log, log] })
  fs.closeSync(log)
  track(child)
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  let gone = false
  void exited.then(() => (gone = true))
  const url = `http://127.0.0.1:${port}`

  const stop = async (): Promise<ProfileSummary | undefined> => {
    if (!gone) {
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000)
      await exited
      clearTimeout(timer)
    }
    return profileDir ? summariseProfileIn(`server ${s.label}`, profileDir) : undefined
  }

  const deadline = started + (s.readyTimeoutMs ?? 60_000)
  for (;;) {
    if (gone) {
      throw new Error(`server ${s.label} exited during start-up:\n${tail(logFile)}`)
    }
    if (performance.now() > deadline) {
      await stop()
      throw new Error(`server ${s.label} not ready in time:\n${tail(logFile)}`)
    }
    try {
      // Ready, and its station index loaded: until then it answers from SQL, which is not
      // what a step measures.
      const res = await fetch(`${url}/readyz`)
      if (res.ok && (await indexLoaded(url))) break
    } catch {
      // Not listening yet.
    }
    await new Promise((r) => setTimeout(r, 25))
  }
  return {
    label: s.label,
    url,
    pid: child.pid!,
    startupMs: Math.round(performance.now() - started),
    logFile,
    stop,
  }
}
