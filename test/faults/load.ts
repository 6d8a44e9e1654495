import crypto from 'node:crypto'

/** What the clients of the suite measure, by the phase (fault) they happened in. */
export class Phases {
  current = 'baseline'
  readonly nearest = new Map<string, { ms: number[]; failed: number }>()

  record(ms: number, ok: boolean) {
    let p = this.nearest.get(this.current)
    if (!p) this.nearest.set(this.current, (p = { ms: [], failed: 0 }))
    if (ok) p.ms.push(ms)
    else p.failed++
  }
}

export const percentile = (values: number[], p: number) => {
  if (!values.length) return NaN
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const MAX_IN_FLIGHT = 64

export interface Manager {
  token: string
  stations: number[]
}

/** A manager's API token, minted through the load balancer as a phone app would. */
export async function managerToken(lb: string, username: string, password: string) {
  const login = await fetch(`${lb}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  })
  if (!login.ok) throw new Error(`sign-in as ${username}: ${login.status}`)
  const cookie = login.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ')
  const me = (await (await fetch(`${lb}/api/v1/auth/me`, { headers: { cookie } })).json()) as {
    station_ids: number[]
  }
  const minted = await fetch(`${lb}/api/v1/auth/tokens`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', cookie },
    body: JSON.stringify({ name: 'fault suite', scopes: ['read', 'report'] }),
  })
  if (minted.status !== 201) throw new Error(`token for ${username}: ${minted.status}`)
  return { token: ((await minted.json()) as { token: string }).token, stations: me.station_ids }
}

export interface Outcome {
  key: string
  stationId: number
  /** The version the answer gave, when it was a 2xx. */
  version?: number
  /** A 4xx other than 429: the suite's own mistake, never retried. */
  refused?: number
  attempts: number
}

/**
 * Reports at a steady rate, each with its own Idempotency-Key, retried with the same key
 * (network errors, 5xx, 429, timeouts) until a 2xx or the deadline: the way the manager's
 * phone queue sends. A retry of a report the server did commit is answered from the key.
 */
export class ReportGenerator {
  readonly outcomes: Outcome[] = []
  private stopped = false
  private inFlight = new Set<Promise<void>>()

  constructor(
    private readonly lb: string,
    private readonly managers: Manager[],
    private readonly perSecond: number,
    private readonly deadlineMs = 120_000,
  ) {}

  get sent() {
    return this.outcomes.length
  }

  async run(total: number) {
    const interval = 1000 / this.perSecond
    let next = Date.now()
    while (!this.stopped && this.outcomes.length < total) {
      // the phones' own queues: a bounded number of reports on their way at once
      while (this.inFlight.size >= MAX_IN_FLIGHT) await Promise.race(this.inFlight)
      const m = this.managers[this.outcomes.length % this.managers.length]!
      const stationId = m.stations[Math.floor(Math.random() * m.stations.length)]!
      const outcome: Outcome = { key: crypto.randomUUID(), stationId, attempts: 0 }
      this.outcomes.push(outcome)
      const p = this.send(m, outcome).finally(() => this.inFlight.delete(p))
      this.inFlight.add(p)
      next += interval
      await sleep(Math.max(0, next - Date.now()))
    }
    await Promise.all(this.inFlight)
  }

  stop() {
    this.stopped = true
  }

  private async send(m: Manager, outcome: Outcome) {
    const until = Date.now() + this.deadlineMs
    const body = JSON.stringify({ occupancy: Math.floor(Math.random() * 4) })
    while (Date.now() < until) {
      outcome.attempts++
      try {
        const res = await fetch(`${this.lb}/api/v1/stations/${outcome.stationId}/reports`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            authorization: `Bearer ${m.token}`,
            'idempotency-key': outcome.key,
          },
          body,
          signal: AbortSignal.timeout(5000),
        })
        if (res.ok) {
          outcome.version = ((await res.json()) as { status: { version: number } }).status.version
          return
        }
        await res.body?.cancel()
        if (res.status < 500 && res.status !== 429) {
          outcome.refused = res.status
          return
        }
      } catch {
        // the network or a node went away: the same key again
      }
      await sleep(Math.min(2000, 100 * 2 ** Math.min(outcome.attempts, 5)))
    }
  }
}

/** Couriers asking for the nearest stations, without pause, timed by phase. */
export class NearestProber {
  private stopped = false
  private done?: Promise<void>

  constructor(
    private readonly lb: string,
    private readonly phases: Phases,
    private readonly concurrency = 2,
  ) {}

  start() {
    const loop = async () => {
      while (!this.stopped) {
        const lat = 28.1 + Math.random() * 0.2
        const lon = 112.85 + Math.random() * 0.25
        const t0 = performance.now()
        let ok: boolean
        try {
          const res = await fetch(`${this.lb}/api/v1/stations/nearest?lat=${lat}&lon=${lon}`, {
            signal: AbortSignal.timeout(15_000),
          })
          ok = res.ok
          await res.arrayBuffer()
        } catch {
          ok = false
        }
        this.phases.record(performance.now() - t0, ok)
        if (!ok) await sleep(100)
      }
    }
    this.done = Promise.all(Array.from({ length: this.concurrency }, loop)).then(() => {})
  }

  async stop() {
    this.stopped = true
    await this.done
  }
}
