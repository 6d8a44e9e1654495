// npm run simulate -- [--rate R] [--duration S] [--url URL] [--managers N] [--password P] [--seed S]
import crypto from 'node:crypto'
import { parseArgs } from 'node:util'
import seedrandom from 'seedrandom'
import { SUPPLIES, type Supply } from '../contract/vocabulary.ts'
import { managerUsername } from './generate.ts'

export interface SimulationOptions {
  url: string
  /** Reports per second over all stations. */
  rate: number
  /** Seconds; 0 runs until stopped. */
  duration: number
  /** Managers to sign in as (manager001 … managerNNN). */
  managers: number
  password: string
  seed?: string
  /** At most this many requests in flight. */
  concurrency?: number
  signal?: AbortSignal
  log?: (line: string) => void
}

export interface SimulationResult {
  sent: number
  accepted: number
  failed: number
  retries: number
  stations: number
}

interface SimStation {
  id: number
  capacity: number
  chargingPoints: number
  supplies: Map<Supply, number>
  cookie: string
}

/** Share of seats taken by hour of day: busy at lunch and after work, quiet at night. */
const HOURLY_LOAD = [
  0.1, 0.05, 0.05, 0.05, 0.1, 0.15, 0.3, 0.45, 0.5, 0.45, 0.55, 0.85, 0.95, 0.8, 0.55, 0.5, 0.6,
  0.8, 0.85, 0.7, 0.5, 0.35, 0.25, 0.15,
]

function shanghaiHour(now: Date) {
  return Number(
    new Intl.DateTimeFormat('en-US', {
      timeZone: 'Asia/Shanghai',
      hour: 'numeric',
      hourCycle: 'h23',
    }).format(now),
  )
}

async function signIn(url: string, username: string, password: string) {
  const res = await fetch(`${url}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  })
  if (!res.ok) throw new Error(`sign-in as ${username} failed: ${res.status} ${await res.text()}`)
  const cookie = res.headers.get('set-cookie')?.split(';')[0]
  const me = (await res.json()) as { station_ids: number[] }
  if (!cookie) throw new Error('no session cookie')
  return { cookie, stationIds: me.station_ids }
}

async function loadStation(url: string, id: number, cookie: string): Promise<SimStation> {
  const res = await fetch(`${url}/api/v1/stations/${id}`)
  if (!res.ok) throw new Error(`GET station ${id}: ${res.status}`)
  const s = (await res.json()) as {
    capacity: number
    charging_points: number
    state: string
    status: { supplies: Record<string, { level: number }> }
  }
  const supplies = new Map<Supply, number>()
  for (const [item, v] of Object.entries(s.status.supplies)) supplies.set(item as Supply, v.level)
  return { id, capacity: s.capacity, chargingPoints: s.charging_points, supplies, cookie }
}

/** The next report for a station: occupancy follows the hour, supplies drain and get restocked. */
function nextReport(st: SimStation, rnd: () => number, now: Date) {
  const load = HOURLY_LOAD[shanghaiHour(now)]! * (0.6 + rnd() * 0.8)
  const occupancy = Math.min(st.capacity + 2, Math.max(0, Math.round(st.capacity * load)))
  const supplies: Partial<Record<Supply, number>> = {}
  for (const item of SUPPLIES) {
    const level = st.supplies.get(item)
    if (level === undefined || rnd() < 0.5) continue
    const next = level < 12 && rnd() < 0.4 ? 100 : Math.max(0, level - Math.round(rnd() * 8))
    st.supplies.set(item, next)
    supplies[item] = next
  }
  return {
    occupancy,
    charging_points_in_use: Math.min(
      st.chargingPoints,
      Math.round(st.chargingPoints * load * rnd() * 1.5),
    ),
    ...(Object.keys(supplies).length ? { supplies } : {}),
  }
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms)
    signal?.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true })
  })

/** Posts one report, retrying network errors and 5xx/429 with the same Idempotency-Key. */
async function post(url: string, st: SimStation, body: object, counts: SimulationResult) {
  const key = crypto.randomUUID()
  for (let attempt = 0; attempt < 4; attempt++) {
    if (attempt > 0) {
      counts.retries++
      await sleep(200 * 2 ** attempt)
    }
    try {
      const res = await fetch(`${url}/api/v1/stations/${st.id}/reports`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', cookie: st.cookie, 'idempotency-key': key },
        body: JSON.stringify(body),
      })
      if (res.status === 201) return true
      if (res.status < 500 && res.status !== 429) return false
    } catch {
      // network error: retry with the same key
    }
  }
  return false
}

/** The seed pads manager numbers to the digits of the manager count: find how many. */
async function usernameWidth(url: string, password: string) {
  for (let width = 3; width <= 7; width++) {
    try {
      await signIn(url, managerUsername(1, 10 ** (width - 1)), password)
      return width
    } catch {
      // not this width
    }
  }
  throw new Error('cannot sign in as the first seeded manager: check the URL and password')
}

export async function runSimulation(opts: SimulationOptions): Promise<SimulationResult> {
  const log = opts.log ?? (() => {})
  const rnd = seedrandom(opts.seed ?? 'simulate')
  const stations: SimStation[] = []
  const width = await usernameWidth(opts.url, opts.password)
  for (let n = 1; n <= opts.managers; n++) {
    const { cookie, stationIds } = await signIn(
      opts.url,
      managerUsername(n, 10 ** (width - 1)),
      opts.password,
    )
    for (const id of stationIds) stations.push(await loadStation(opts.url, id, cookie))
  }
  if (!stations.length) throw new Error('the signed-in managers have no stations')
  log(
    `Simulating ${stations.length} stations of ${opts.managers} managers at ${opts.rate} reports/s`,
  )

  const counts: SimulationResult = {
    sent: 0,
    accepted: 0,
    failed: 0,
    retries: 0,
    stations: stations.length,
  }
  const inFlight = new Set<Promise<void>>()
  const concurrency = opts.concurrency ?? 64
  const started = Date.now()
  const end = opts.duration > 0 ? started + opts.duration * 1000 : Infinity
  for (let i = 0; Date.now() < end && !opts.signal?.aborted; i++) {
    // Paced by the clock, not by answers: a slow server gets a backlog, as in real life.
    await sleep(Math.max(0, started + (i * 1000) / opts.rate - Date.now()), opts.signal)
    if (Date.now() >= end || opts.signal?.aborted) break
    while (inFlight.size >= concurrency) await Promise.race(inFlight)
    const st = stations[Math.floor(rnd() * stations.length)]!
    counts.sent++
    const p = post(opts.url, st, nextReport(st, rnd, new Date()), counts).then((ok) => {
      if (ok) counts.accepted++
      else counts.failed++
      inFlight.delete(p)
    })
    inFlight.add(p)
  }
  await Promise.all(inFlight)
  return counts
}

async function main() {
  const { values } = parseArgs({
    options: {
      rate: { type: 'string', default: '5' },
      duration: { type: 'string', default: '60' },
      url: { type: 'string', default: `http://localhost:${process.env.PORT ?? 3000}` },
      managers: { type: 'string', default: '50' },
      password: { type: 'string', default: process.env.SEED_DEMO_PASSWORD },
      seed: { type: 'string', default: 'simulate' },
    },
  })
  const num = (name: string, v: string, min: number, max: number) => {
    const n = Number(v)
    if (!Number.isFinite(n) || n < min || n > max)
      throw new Error(`--${name} must be a number from ${min} to ${max}`)
    return n
  }
  if (!values.password)
    throw new Error('Give the managers’ password: --password or SEED_DEMO_PASSWORD')
  const controller = new AbortController()
  process.on('SIGINT', () => controller.abort())
  const result = await runSimulation({
    url: values.url!.replace(/\/$/, ''),
    rate: num('rate', values.rate!, 0.1, 2000),
    duration: num('duration', values.duration!, 0, 86_400),
    managers: num('managers', values.managers!, 1, 100_000),
    password: values.password,
    seed: values.seed,
    signal: controller.signal,
    log: console.log,
  })
  console.log(
    `sent ${result.sent}, accepted ${result.accepted}, failed ${result.failed} (retries ${result.retries}) over ${result.stations} stations`,
  )
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((e) => {
    console.error(String(e instanceof Error ? e.message : e))
    process.exitCode = 1
  })
}
