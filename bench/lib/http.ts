import autocannon from 'autocannon'
import { perOp, settle, startCpu, type CpuTargets } from './cpu.ts'
import { Latencies } from './stats.ts'
import type { Measurement } from './types.ts'

export interface HttpLoad {
  baseUrl: string
  /** Cycled in order across all connections: every system gets the same sequence. */
  paths: readonly string[]
  connections: number
  durationS: number
  headers?: Record<string, string>
  cpu?: CpuTargets
}

/** autocannon with exact latencies (its own histogram rounds to whole milliseconds). */
export async function runHttp(load: HttpLoad): Promise<Omit<Measurement, 'case' | 'system'>> {
  let next = 0
  const latencies = new Latencies()
  let errors = 0
  let bytes = 0
  const meter = load.cpu && startCpu(load.cpu)
  const started = performance.now()
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url: load.baseUrl,
        connections: load.connections,
        duration: load.durationS,
        headers: load.headers,
        requests: [
          {
            method: 'GET',
            setupRequest: (req) => {
              req.path = load.paths[next++ % load.paths.length]!
              return req
            },
          },
        ],
      },
      (err, res) => (err ? reject(err) : resolve(res)),
    )
    instance.on('response', (_client, status, resBytes, ms) => {
      if (status >= 200 && status < 300) {
        latencies.add(ms)
        bytes += resBytes
      } else errors++
    })
  })
  const seconds = (performance.now() - started) / 1000
  const cpu = meter?.stop()
  if (load.cpu?.serverPid !== undefined) await settle(load.cpu.serverPid)
  return {
    qps: Math.round(latencies.count / seconds),
    ...latencies.summary(),
    count: latencies.count,
    // Connection errors include timeouts.
    errors: errors + result.errors,
    ...(cpu ? { cpu, cpuMsPerOp: perOp(cpu, latencies.count) } : {}),
    extra: { avgBytes: latencies.count ? Math.round(bytes / latencies.count) : 0 },
  }
}

/** Unmeasured load first, so that JIT, pools and caches are warm; none in smoke runs. */
export async function warmUp(
  server: { url: string; pid: number },
  paths: readonly string[],
  seconds: number,
) {
  if (seconds <= 0) return
  await runHttp({ baseUrl: server.url, paths, connections: 16, durationS: seconds })
  await settle(server.pid)
}

/** POST /api/v1/auth/login; returns the session cookie. */
export async function login(baseUrl: string, username: string, password: string): Promise<string> {
  const res = await fetch(`${baseUrl}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  })
  if (!res.ok) throw new Error(`login as ${username}: ${res.status} ${await res.text()}`)
  const cookie = res.headers.get('set-cookie')
  if (!cookie) throw new Error(`login as ${username} set no cookie`)
  return cookie.split(';', 1)[0]!
}

export async function getJson<T>(url: string, headers?: Record<string, string>): Promise<T> {
  const res = await fetch(url, { headers })
  if (!res.ok) throw new Error(`GET ${url}: ${res.status} ${await res.text()}`)
  return (await res.json()) as T
}
