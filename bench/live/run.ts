/**
 * B4 live fan-out: socket.io-client connections in a separate process, reports posted through
 * the API, latency from a report's commit time to each client that shows the station.
 */
import { fork, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import os from 'node:os'
import http from 'node:http'
import crypto from 'node:crypto'
import knexFactory, { type Knex } from 'knex'
import type { BenchContext, LiveStep, ProfileSummary, ScenarioResult } from '../lib/types.ts'
import { summariseProfileIn } from '../lib/profile.ts'
import { settle, startCpu } from '../lib/cpu.ts'
import { login } from '../lib/http.ts'
import { percentile } from '../lib/stats.ts'
import seedrandom from 'seedrandom'
import type { Bbox } from '../../contract/live-events.ts'
import type { ClientsCommand, ClientsReply } from './clients.ts'
import type { BaselineCommand, BaselineReply } from './baseline.ts'

/** What the fan-out scenarios need: the running server, its database, an admin session. */
interface LiveContext {
  url: string
  serverPid: number
  /** The bench database's name, to find its backends' CPU. */
  database: string
  knex: Knex
  adminCookie: string
  smoke: boolean
  /** The steps to run (`--only B4a,B4d`; all by default). */
  steps: ReadonlySet<LiveStep>
  log: (line: string) => void
  /** Under --cpu-prof: the client processes are profiled too. */
  profileDir?: string
}

interface LiveScenario {
  id: string
  name: string
  metrics: Record<string, number>
  budgets: Record<string, { limit: number; op: '<=' | '>='; pass: boolean }>
  notes: string[]
  profiles?: ProfileSummary[]
}

export const CHANGSHA: Bbox = [112.6, 27.95, 113.2, 28.5]

/** A typical station:status payload, for the broadcast baseline. */
const SAMPLE_STATUS = {
  id: 1,
  occupancy: 3,
  capacity: 12,
  available_spaces: 9,
  charging_points: 4,
  charging_points_in_use: 1,
  supplies: { drinking_water: { level: 60, low: false }, first_aid: { level: 15, low: true } },
  availability: 'open',
  open_now: true,
  stale: false,
  reported_at: '2026-11-22T08:00:00.000Z',
  version: 42,
  location: { lon: 112.95, lat: 28.2 },
}
const here = new URL('.', import.meta.url).pathname

function child(file: string, args: string[] = [], profileDir?: string) {
  return fork(`${here}${file}`, args, {
    execArgv: [
      ...(profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []),
      '--import',
      'tsx',
    ],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
}

function request<R extends { type: string }>(
  proc: ChildProcess,
  cmd: object,
  type: R['type'],
): Promise<R> {
  return new Promise((resolve, reject) => {
    const onMessage = (msg: R) => {
      if (msg.type !== type) return
      proc.off('message', onMessage)
      resolve(msg)
    }
    proc.on('message', onMessage)
    proc.once('exit', (code) => reject(new Error(`child exited (${code}) before ${type}`)))
    proc.send(cmd)
  })
}

const once = <R>(proc: ChildProcess, type: string) =>
  new Promise<R>((resolve) => {
    const h = (m: { type: string }) => {
      if (m.type === type) {
        proc.off('message', h)
        resolve(m as R)
      }
    }
    proc.on('message', h)
  })

function rssKb(pid: number) {
  const m = fs.readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmRSS:\s+(\d+)/)
  return Number(m?.[1] ?? 0)
}

/** Phone-sized views (3 km wide, 5 km tall) centred where the demand is. */
async function phoneViews(knex: Knex, count: number): Promise<Bbox[]> {
  const [w, s, e, n] = CHANGSHA
  const { rows } = await knex.raw(
    `SELECT ST_X(location::geometry) AS lon, ST_Y(location::geometry) AS lat FROM demand_points
      WHERE location::geometry && ST_MakeEnvelope(?, ?, ?, ?, 4326) ORDER BY id`,
    [w, s, e, n],
  )
  const rnd = seedrandom('b4a-views')
  return Array.from({ length: count }, () => {
    const p = rows[Math.floor(rnd() * rows.length)] as { lon: number; lat: number }
    const dLon = 1500 / (111_320 * Math.cos((p.lat * Math.PI) / 180))
    const dLat = 2500 / 110_540
    return [p.lon - dLon, p.lat - dLat, p.lon + dLon, p.lat + dLat] as Bbox
  })
}

/** Posts `rate` reports a second for `seconds` over the given stations; returns the accepted ones. */
async function postReports(
  ctx: LiveContext,
  stations: { id: number; lon: number; lat: number; capacity: number }[],
  rate: number,
  seconds: number,
) {
  const rnd = seedrandom('b4-reports')
  const accepted: [number, number, number, number][] = []
  let failed = 0
  // node:http with keep-alive: fetch costs the shared cores several times more per request.
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 })
  const inFlight = new Set<Promise<void>>()
  const started = Date.now()
  const total = Math.round(rate * seconds)
  for (let i = 0; i < total; i++) {
    const wait = started + (i * 1000) / rate - Date.now()
    if (wait > 0) await new Promise((r) => setTimeout(r, wait))
    const st = stations[Math.floor(rnd() * stations.length)]!
    const body = JSON.stringify({ occupancy: Math.floor(rnd() * (st.capacity + 1)) })
    const p = post(`${ctx.url}/api/v1/stations/${st.id}/reports`, body, agent, {
      cookie: ctx.adminCookie,
      'idempotency-key': crypto.randomUUID(),
    })
      .then(({ status, text }) => {
        if (status !== 201) return void failed++
        const answer = JSON.parse(text) as { status: { version: number } }
        accepted.push([st.id, answer.status.version, st.lon, st.lat])
      })
      .catch(() => void failed++)
      .finally(() => inFlight.delete(p))
    inFlight.add(p)
  }
  await Promise.all(inFlight)
  agent.destroy()
  return { accepted, failed, seconds: (Date.now() - started) / 1000 }
}

function post(url: string, body: string, agent: http.Agent, headers: Record<string, string>) {
  return new Promise<{ status: number; text: string }>((resolve, reject) => {
    const req = http.request(
      url,
      { method: 'POST', agent, headers: { 'content-type': 'application/json', ...headers } },
      (res) => {
        let text = ''
        res.setEncoding('utf8')
        res.on('data', (chunk: string) => (text += chunk))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }))
        res.on('error', reject)
      },
    )
    req.on('error', reject)
    req.end(body)
  })
}

/** A field added up over the client processes' replies. */
const sum = <R, K extends keyof R>(replies: R[], key: K) =>
  replies.reduce((n, r) => n + Number(r[key]), 0)

async function fanOut(
  ctx: LiveContext,
  id: string,
  name: string,
  views: Bbox[],
  opts: {
    rate: number
    seconds: number
    p99Budget: number
    truthBbox?: Bbox
    /** Client processes the views are split over, so that one process is not the bottleneck. */
    processes?: number
  },
): Promise<LiveScenario> {
  const { rows: stations } = await ctx.knex.raw(
    `SELECT id, ST_X(location::geometry) AS lon, ST_Y(location::geometry) AS lat, capacity FROM stations
      WHERE state = 'active' AND location::geometry && ST_MakeEnvelope(?, ?, ?, ?, 4326) ORDER BY id`,
    CHANGSHA,
  )
  const parts = opts.processes ?? 1
  const profileDirs = Array.from(
    { length: parts },
    (_, i) => ctx.profileDir && path.join(ctx.profileDir, `${id}-clients-${i + 1}`),
  )
  const children = profileDirs.map((dir) => child('clients.ts', [], dir))
  let scenario: LiveScenario
  type Reply<T> = Extract<ClientsReply, { type: T }>
  /** Sends a command to every client process (a function: one per process), with their replies. */
  const each = <T extends ClientsReply['type']>(
    cmd: ClientsCommand | ((i: number) => ClientsCommand),
    type: T,
  ): Promise<Reply<T>[]> =>
    Promise.all(
      children.map((c, i) =>
        request<Reply<T>>(c, typeof cmd === 'function' ? cmd(i) : cmd, type as Reply<T>['type']),
      ),
    )
  try {
    const rssBefore = rssKb(ctx.serverPid)
    const connectStarted = Date.now()
    const share = Math.ceil(views.length / parts)
    const connectedAll = await each(
      (i) => ({
        type: 'connect',
        mode: 'live',
        url: ctx.url,
        bboxes: views.slice(i * share, (i + 1) * share),
      }),
      'connected',
    )
    const connected = {
      clients: sum(connectedAll, 'clients'),
      failed: sum(connectedAll, 'failed'),
      snapshotStations: sum(connectedAll, 'snapshotStations'),
    }
    const connectSeconds = (Date.now() - connectStarted) / 1000
    const rssAfter = rssKb(ctx.serverPid)
    ctx.log(
      `  ${id}: ${connected.clients} clients in ${parts} process(es) connected in ${connectSeconds.toFixed(1)} s (${connected.failed} failed)`,
    )
    for (const c of children) c.send({ type: 'reset' } satisfies ClientsCommand)
    const clientCpu0 = sum(await each({ type: 'collect', reports: [] }, 'result'), 'cpuMs')
    const cpu = startCpu({ serverPid: ctx.serverPid, database: ctx.database })
    const posted = await postReports(ctx, stations, opts.rate, opts.seconds)
    // Let the last batch window and deliveries drain.
    await new Promise((r) => setTimeout(r, 1500))
    const used = cpu.stop()
    const load = os.loadavg()
    let truth: [number, number][] | undefined
    if (opts.truthBbox) {
      const { rows } = await ctx.knex.raw(
        `SELECT s.id, st.version FROM stations s JOIN station_status st ON st.station_id = s.id
          WHERE s.state <> 'retired' AND s.location::geometry && ST_MakeEnvelope(?, ?, ?, ?, 4326)`,
        opts.truthBbox,
      )
      truth = rows.map((r: { id: number; version: number }) => [r.id, r.version])
    }
    const results = await each(
      { type: 'collect', reports: posted.accepted, truth } satisfies ClientsCommand,
      'result',
    )
    const result = {
      latenciesMs: results.flatMap((r) => r.latenciesMs),
      clients: sum(results, 'clients'),
      expected: sum(results, 'expected'),
      delivered: sum(results, 'delivered'),
      converged: sum(results, 'converged'),
      messages: sum(results, 'messages'),
      cpuMs: sum(results, 'cpuMs'),
    }
    const lat = result.latenciesMs.sort((a, b) => a - b)
    const secs = posted.seconds
    const metrics: Record<string, number> = {
      clients: result.clients,
      reports_per_s: posted.accepted.length / secs,
      reports_failed: posted.failed,
      expected: result.expected,
      delivered: result.delivered,
      delivered_ratio: result.expected ? result.delivered / result.expected : 1,
      p50_ms: percentile(lat, 0.5),
      p99_ms: percentile(lat, 0.99),
      messages_per_s: result.messages / secs,
      deliveries_per_s: lat.length / secs,
      // below 1 when a message carries several stations
      messages_per_delivery: result.messages / Math.max(1, lat.length),
      server_kb_per_connection: (rssAfter - rssBefore) / Math.max(1, result.clients),
      server_cpu_pct: used.server,
      database_cpu_pct: used.database,
      clients_cpu_pct: ((result.cpuMs - clientCpu0) / 1000 / used.seconds) * 100,
      generator_cpu_pct: used.generator,
      load_average_1m: load[0]!,
    }
    if (truth) metrics.converged_ratio = result.converged / Math.max(1, result.clients)
    const budgets: LiveScenario['budgets'] = {
      p99_ms: { limit: opts.p99Budget, op: '<=', pass: metrics.p99_ms! <= opts.p99Budget },
    }
    if (truth) budgets.converged_ratio = { limit: 1, op: '>=', pass: metrics.converged_ratio === 1 }
    else budgets.delivered_ratio = { limit: 1, op: '>=', pass: metrics.delivered_ratio === 1 }
    scenario = {
      id,
      name,
      metrics,
      budgets,
      notes: [`${connected.snapshotStations} stations in subscribe snapshots`],
    }
  } finally {
    // 5,000 disconnects keep the server busy for a moment: not during the next scenario.
    await Promise.all(children.map(closeChild))
    await settle(ctx.serverPid)
  }
  const profiles = profileDirs.flatMap((dir, i) => {
    const profile = dir && summariseProfileIn(`${id} clients, process ${i + 1}`, dir)
    return profile ? [profile] : []
  })
  return profiles.length ? { ...scenario, profiles } : scenario
}

function closeChild(proc: ChildProcess) {
  if (proc.exitCode !== null) return Promise.resolve()
  const exited = new Promise((r) => proc.once('exit', r))
  proc.send({ type: 'close' })
  return exited
}

/** Deliveries/s at saturation: the same message broadcast to the same number of clients. */
async function saturation(
  mode: 'ws' | 'socketio-bare',
  clientsCount: number,
  broadcasts: number,
  payload: object,
) {
  const server = child('baseline.ts', [mode])
  const clients = child('clients.ts')
  try {
    const { url } = await once<BaselineReply & { url: string }>(server, 'listening')
    await request(
      clients,
      { type: 'connect', mode, url, count: clientsCount } satisfies ClientsCommand,
      'connected',
    )
    clients.send({ type: 'reset' } satisfies ClientsCommand)
    const expected = clientsCount * broadcasts
    server.send({ type: 'blast', messages: broadcasts, payload } satisfies BaselineCommand)
    for (;;) {
      await new Promise((r) => setTimeout(r, 200))
      const r = await request<Extract<ClientsReply, { type: 'result' }>>(
        clients,
        { type: 'collect', reports: [] },
        'result',
      )
      if (r.messages >= expected) return expected / ((r.lastAt - r.firstAt) / 1000)
    }
  } finally {
    await closeChild(clients)
    await closeChild(server)
  }
}

async function scenarios(ctx: LiveContext): Promise<LiveScenario[]> {
  const phones = ctx.smoke ? 50 : 5000
  const screens = ctx.smoke ? 10 : 1000
  const seconds = ctx.smoke ? 3 : 20
  const rate = ctx.smoke ? 20 : 200
  const out: LiveScenario[] = []
  const crowd = ctx.smoke ? 100 : 10_000
  const phoneStep = (id: LiveStep, count: number, log: string) => ({
    id,
    log,
    name: `couriers: ${count} phone views, ${rate} reports/s`,
    views: () => phoneViews(ctx.knex, count),
    opts: { rate, seconds, p99Budget: 250, processes: 2 },
  })
  const steps = [
    phoneStep('B4a', phones, 'B4a couriers'),
    phoneStep('B4d', crowd, 'B4d couriers, twice as many'),
    {
      id: 'B4b' as const,
      log: 'B4b wall screens',
      name: `wall screens: ${screens} × all of Changsha, ${rate} reports/s`,
      views: async () => Array<Bbox>(screens).fill(CHANGSHA),
      opts: { rate, seconds, p99Budget: 500, truthBbox: CHANGSHA, processes: 2 },
    },
  ]
  for (const step of steps) {
    if (!ctx.steps.has(step.id)) continue
    ctx.log(step.log)
    out.push(await fanOut(ctx, step.id, step.name, await step.views(), step.opts))
  }
  if (!ctx.steps.has('B4c')) return out
  ctx.log('B4 baseline: bare ws vs socket.io broadcast at saturation')
  const broadcasts = ctx.smoke ? 20 : 200
  const ws = await saturation('ws', screens, broadcasts, SAMPLE_STATUS)
  const sio = await saturation('socketio-bare', screens, broadcasts, SAMPLE_STATUS)
  out.push({
    id: 'B4c',
    name: `broadcast saturation: ${screens} clients × ${broadcasts} messages`,
    metrics: {
      ws_deliveries_per_s: ws,
      socketio_deliveries_per_s: sio,
      socketio_over_ws: sio / ws,
    },
    budgets: { socketio_over_ws: { limit: 0.6, op: '>=', pass: sio / ws >= 0.6 } },
    notes: ['server and clients in separate processes sharing the 2 cores'],
  })
  return out
}

/**
 * B4 for the bench runner: on the default Hunan data set (4,076 stations, about a thousand in
 * Changsha) — a city-wide snapshot of a 100,000-station set would be megabytes per wall screen.
 */
export async function runLiveBench(ctx: BenchContext): Promise<ScenarioResult[]> {
  const db = await ctx.database(4076)
  const server = await ctx.startServer({ label: 'B4', database: db })
  const adminCookie = await login(server.url, 'admin', ctx.password)
  const knex = knexFactory({ client: 'pg', connection: db.url, pool: { min: 0, max: 2 } })
  let results: LiveScenario[]
  let serverProfile: ProfileSummary | undefined
  try {
    results = await scenarios({
      url: server.url,
      serverPid: server.pid,
      database: db.name,
      knex,
      adminCookie,
      smoke: ctx.options.smoke,
      steps: ctx.options.liveSteps,
      log: ctx.log,
      profileDir: ctx.profileDir,
    })
  } finally {
    await knex.destroy()
    serverProfile = await server.stop()
  }
  return results.map((r, i) => {
    // one server for every step: its profile goes with the first
    const profiles = [...(i === 0 && serverProfile ? [serverProfile] : []), ...(r.profiles ?? [])]
    return {
      id: r.id,
      title: r.name,
      measurements: [
        {
          case: r.name,
          system: 'socket.io',
          p50Ms: r.metrics.p50_ms,
          p99Ms: r.metrics.p99_ms,
          extra: r.metrics,
        },
      ],
      ratios: [],
      budgets: Object.entries(r.budgets).map(([name, b]) => ({
        name: `${r.id} ${name}`,
        measured: r.metrics[name] ?? null,
        limit: b.limit,
        op: b.op,
        unit: name.endsWith('_ms') ? ' ms' : '',
        pass: ctx.options.smoke ? null : b.pass,
      })),
      notes: [
        ...r.notes,
        'clients, server and report generator are separate processes on the same 2 cores',
      ],
      ...(profiles.length ? { profiles } : {}),
    }
  })
}
