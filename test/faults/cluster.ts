import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { freePort, waitForPort } from '../freePort.ts'
import { startPostgres } from '../pgInstance.ts'
import { startRedis } from '../redisInstance.ts'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
export const DEMO_PASSWORD = 'fault-suite-password'

/** One app node: a real `server/src/index.ts` process, as a container would run it. */
export class AppNode {
  proc?: ChildProcess
  constructor(
    readonly name: string,
    readonly port: number,
    private readonly env: Record<string, string>,
    private readonly logFile: string,
  ) {}

  get url() {
    return `http://127.0.0.1:${this.port}`
  }

  async start() {
    const log = fs.openSync(this.logFile, 'a')
    this.proc = spawn(process.execPath, ['--import', 'tsx', 'server/src/index.ts'], {
      cwd: ROOT,
      env: { ...process.env, ...this.env, PORT: String(this.port), HOST: '127.0.0.1' },
      stdio: ['ignore', log, log],
    })
    await waitForPort(this.port, 60_000)
  }

  /** kill -9: no drain, no goodbye. */
  async kill() {
    await this.signal('SIGKILL')
  }

  /** SIGTERM: the node drains and exits by itself. */
  async stop() {
    await this.signal('SIGTERM')
  }

  private async signal(signal: NodeJS.Signals) {
    const proc = this.proc
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return
    const exited = new Promise((r) => proc.once('exit', r))
    proc.kill(signal)
    await exited
  }

  async ready(): Promise<{ status: number; body: Record<string, unknown> }> {
    try {
      const res = await fetch(`${this.url}/readyz`, { signal: AbortSignal.timeout(2000) })
      return { status: res.status, body: (await res.json()) as Record<string, unknown> }
    } catch {
      return { status: 0, body: {} }
    }
  }
}

/** Debian's haproxy with the deployment's own configuration, its servers replaced by ours. */
async function startHaproxy(dir: string, nodes: AppNode[]) {
  const port = await freePort()
  const config = fs
    .readFileSync(path.join(ROOT, 'deploy/haproxy.cfg'), 'utf8')
    .replace(/^resolvers docker\n(?:[ \t]+.*\n)*/m, '')
    .replace(/^\s*bind :\d+$/m, `  bind 127.0.0.1:${port}`)
    .replace(
      /^\s*server-template .*$/m,
      nodes.map((n) => `  server ${n.name} 127.0.0.1:${n.port} check`).join('\n'),
    )
  if (/^\s*(server-template|resolvers)\b/m.test(config) || !config.includes('bind 127.0.0.1'))
    throw new Error('deploy/haproxy.cfg changed shape: update the fault suite')
  const file = path.join(dir, 'haproxy.cfg')
  fs.writeFileSync(file, config)
  const check = spawnSync('haproxy', ['-c', '-f', file], { encoding: 'utf8' })
  if (check.status !== 0) throw new Error(`haproxy rejects the configuration:\n${check.stderr}`)
  const proc = spawn('haproxy', ['-f', file, '-db'], { stdio: 'ignore' })
  await waitForPort(port)
  return {
    url: `http://127.0.0.1:${port}`,
    async stop() {
      const exited = new Promise((r) => proc.once('exit', r))
      proc.kill('SIGKILL')
      await exited
    },
  }
}

/** Runs a project script (migrate, seed) against the cluster's database. */
function runScript(args: string[], env: Record<string, string>) {
  const result = spawnSync(process.execPath, ['--import', 'tsx', ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    encoding: 'utf8',
  })
  if (result.status !== 0)
    throw new Error(`${args.join(' ')} failed:\n${result.stdout}\n${result.stderr}`)
}

/**
 * A deployment of our own: PostgreSQL + PostGIS and Redis started for the run (never the
 * machine's shared ones), the seeded network, `nodes` app processes, HAProxy in front.
 */
export async function startCluster(opts: { nodes: number; stations: number }) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'yizhan-faults-'))
  const pg = await startPostgres()
  const redis = await startRedis()
  const nodes: AppNode[] = []
  try {
    const base = { DATABASE_URL: pg.url, LOG_LEVEL: 'warn' }
    runScript(['db/migrate.ts'], base)
    runScript(['seed/index.ts', '--stations', String(opts.stations), '--demand', '2000'], {
      ...base,
      SEED_DEMO_PASSWORD: DEMO_PASSWORD,
    })
    const env = {
      ...base,
      REDIS_URL: redis.url,
      NODE_ENV: 'production',
      COOKIE_SECURE: 'false',
      SHUTDOWN_DRAIN_MS: '3000',
      DB_POOL_MAX: '10',
      // every client of the suite comes from one address
      LOGIN_RATE_LIMIT: '10000',
      LIVE_MAX_CONNECTIONS_PER_ADDRESS: '10000',
      LIVE_SUBSCRIBES_PER_ADDRESS_PER_MINUTE: '100000',
    }
    for (let i = 1; i <= opts.nodes; i++)
      nodes.push(new AppNode(`node${i}`, await freePort(), env, path.join(dir, `node${i}.log`)))
    await Promise.all(nodes.map((n) => n.start()))
    const lb = await startHaproxy(dir, nodes)
    return {
      dir,
      pg,
      redis,
      nodes,
      lb,
      async stop() {
        await lb.stop()
        await Promise.all(nodes.map((n) => n.kill()))
        await redis.stop()
        await pg.stop()
      },
    }
  } catch (err) {
    await Promise.all(nodes.map((n) => n.kill()))
    await redis.stop()
    await pg.stop()
    throw err
  }
}
export type Cluster = Awaited<ReturnType<typeof startCluster>>
