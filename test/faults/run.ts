// npm run faults -- [--smoke] [--reports N] [--rate R]
// Three app nodes behind HAProxy on a PostgreSQL and a Redis of their own, live clients and a
// report generator, and the faults a deployment meets: a node killed, PostgreSQL restarted and
// frozen, Redis restarted, a node drained. It prints what was sent, accepted and stored (0 lost,
// 0 doubled), whether every live client converged to the database, nearest's p99 during each
// fault and the time to recover; it exits 1 when anything was lost, doubled or left behind.
import fs from 'node:fs'
import path from 'node:path'
import { parseArgs } from 'node:util'
import pg from 'pg'
import { liveClient } from '../liveClient.ts'
import { DEMO_PASSWORD, startCluster, type Cluster } from './cluster.ts'
import { NearestProber, Phases, ReportGenerator, managerToken, percentile } from './load.ts'

const { values: args } = parseArgs({
  options: {
    smoke: { type: 'boolean', default: false },
    reports: { type: 'string' },
    rate: { type: 'string' },
    clients: { type: 'string' },
  },
})
const smoke = args.smoke
const TOTAL = Number(args.reports ?? (smoke ? 1500 : 10_000))
const RATE = Number(args.rate ?? (smoke ? 40 : 50))
const CLIENTS = Number(args.clients ?? (smoke ? 10 : 40))
const FREEZE_MS = smoke ? 4000 : 10_000
const MANAGERS = smoke ? 10 : 40

// a client library's stray rejection must not end the run before the cluster is stopped
let unhandled = 0
process.on('unhandledRejection', (err) => {
  unhandled++
  console.error('unhandled rejection:', err)
})

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const log = (...parts: unknown[]) =>
  console.log(`[${new Date().toISOString().slice(11, 19)}]`, ...parts)

/** Waits until `ok` holds, polling; the time it took, or throws after `timeoutMs`. */
async function until(what: string, ok: () => Promise<boolean>, timeoutMs = 60_000) {
  const t0 = Date.now()
  let said = t0
  while (!(await ok())) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`${what}: not within ${timeoutMs / 1000} s`)
    if (Date.now() - said > 10_000) {
      said = Date.now()
      log(`still waiting: ${what}`)
    }
    await sleep(100)
  }
  return Date.now() - t0
}

const cluster: Cluster = await startCluster({ nodes: 3, stations: smoke ? 1000 : 4076 })
// a pool, which replaces the connections PostgreSQL's restart ends
const db = new pg.Pool({ connectionString: cluster.pg.url, max: 2 })
db.on('error', () => {})
const phases = new Phases()
const recovery: Record<string, number> = {}
const convergence: Record<string, { ms: number; clients: number; indexMs: number }> = {}
let exitCode = 0

try {
  log(`cluster up: ${cluster.nodes.length} nodes behind ${cluster.lb.url}`)
  const managers = []
  for (let i = 1; i <= MANAGERS; i++)
    managers.push(
      await managerToken(cluster.lb.url, `manager${String(i).padStart(3, '0')}`, DEMO_PASSWORD),
    )

  // each live client follows the area of one reported station: half by WebSocket, half by
  // long-polling (which needs the load balancer's stickiness)
  const reported = [...new Set(managers.flatMap((m) => m.stations))]
  const { rows: places } = await db.query<{ id: number; lon: number; lat: number }>(
    `SELECT id, ST_X(location::geometry) AS lon, ST_Y(location::geometry) AS lat
       FROM stations WHERE id = ANY($1)`,
    [reported],
  )
  const clients = Array.from({ length: CLIENTS }, (_, i) =>
    liveClient(cluster.lb.url, { polling: i % 2 === 1 }),
  )
  await Promise.all(
    clients.map(async (c, i) => {
      const { lon, lat } = places[i % places.length]!
      const ack = await c.subscribe([lon - 0.01, lat - 0.01, lon + 0.01, lat + 0.01])
      if (!ack.ok) throw new Error(`subscribe: ${ack.error}`)
    }),
  )

  const { rows: start } = await db.query<{ max: number | null }>(
    'SELECT max(id) AS max FROM status_reports',
  )
  const startId = start[0]!.max ?? 0

  /** The database's version of every station some client follows. */
  async function dbVersions() {
    const ids = [...new Set(clients.flatMap((c) => [...c.statuses.keys()]))]
    const { rows } = await db.query<{ station_id: number; version: number }>(
      'SELECT station_id, version FROM station_status WHERE station_id = ANY($1)',
      [ids],
    )
    return new Map(rows.map((r) => [r.station_id, r.version]))
  }

  /**
   * Every client has caught up with the database as it was when this was asked: reports keep
   * coming meanwhile, so "equal now" would chase a moving target while the load runs (at the
   * end, with the generator stopped, it is equality).
   */
  async function caughtUp() {
    const target = await dbVersions()
    return async () =>
      clients.every((c) =>
        [...c.statuses.values()].every((s) => s.version >= (target.get(s.id) ?? 0)),
      )
  }
  /**
   * Every node's nearest (its station index, once loaded) shows each reported station at the
   * database's version as it was when this was asked, or later. Asked of each node directly.
   */
  async function indexesCaughtUp() {
    const target = await dbVersions()
    const shows = async (url: string, { id, lon, lat }: (typeof places)[number]) => {
      const res = await fetch(
        `${url}/api/v1/stations/nearest?lon=${lon}&lat=${lat}&limit=3&order=distance`,
        { signal: AbortSignal.timeout(2000) },
      ).catch(() => null)
      if (!res?.ok) return false
      const { results } = (await res.json()) as {
        results: { id: number; status: { version: number } }[]
      }
      const found = results.find((r) => r.id === id)
      return found !== undefined && found.status.version >= (target.get(id) ?? 0)
    }
    return async () =>
      (
        await Promise.all(
          cluster.nodes.flatMap((node) => places.map((place) => shows(node.url, place))),
        )
      ).every(Boolean)
  }
  const allReady = async () =>
    (await Promise.all(cluster.nodes.map((n) => n.ready()))).every((r) => r.status === 200)
  const reportsGoThrough = async () => {
    const before = generator.outcomes.filter((o) => o.version !== undefined).length
    await sleep(500)
    return generator.outcomes.filter((o) => o.version !== undefined).length > before
  }

  /** Who is behind, when a client does not converge: for the log. */
  async function stragglers() {
    const version = await dbVersions()
    return clients.flatMap((c, i) => {
      const behind = [...c.statuses.values()].filter((s) => s.version !== version.get(s.id))
      return behind.length
        ? [
            `client ${i} (${c.socket.io.engine?.transport?.name ?? 'none'}, connected ${c.socket.connected}, ` +
              `snapshots ${c.snapshots()}, resyncs ${c.resyncs()}, recoveries ${c.recoveries()}): ` +
              `${behind.length} stations behind, e.g. ${behind[0]!.id} v${behind[0]!.version} ` +
              `(db v${version.get(behind[0]!.id)})`,
          ]
        : []
    })
  }

  async function settle(name: string) {
    recovery[name] = await until(
      `${name}: recovered`,
      async () => (await allReady()) && (await reportsGoThrough()),
    )
    phases.current = `after ${name}`
    const ms = await until(`${name}: live clients converged`, await caughtUp(), 30_000).catch(
      async (err) => {
        console.error((await stragglers()).join('\n'))
        throw err
      },
    )
    const indexMs = await until(
      `${name}: station indexes caught up`,
      await indexesCaughtUp(),
      30_000,
    )
    convergence[name] = { ms, clients: clients.length, indexMs }
    log(
      `${name}: recovered in ${recovery[name]} ms, clients converged ${ms} ms later, ` +
        `every node's nearest ${indexMs} ms after that`,
    )
    await sleep(smoke ? 2000 : 5000)
  }

  const generator = new ReportGenerator(cluster.lb.url, managers, RATE)
  const prober = new NearestProber(cluster.lb.url, phases)
  prober.start()
  // until every fault is through and at least TOTAL reports were sent
  const generating = generator.run(Number.POSITIVE_INFINITY)
  await sleep(smoke ? 3000 : 10_000)

  const [node1, node2] = cluster.nodes as [(typeof cluster.nodes)[0], (typeof cluster.nodes)[0]]

  phases.current = 'kill -9 node'
  log('kill -9 node2')
  await node2.kill()
  await sleep(3000)
  await node2.start()
  await settle('kill -9 node')

  phases.current = 'PostgreSQL restart'
  log('restart PostgreSQL')
  await cluster.pg.restart()
  await settle('PostgreSQL restart')

  phases.current = 'PostgreSQL frozen'
  log(`freeze PostgreSQL for ${FREEZE_MS / 1000} s`)
  await cluster.pg.freeze()
  await sleep(FREEZE_MS)
  await cluster.pg.thaw()
  await settle('PostgreSQL frozen')

  phases.current = 'Redis restart'
  log('restart Redis')
  await cluster.redis.stop()
  await sleep(3000)
  await cluster.redis.restart()
  await settle('Redis restart')

  phases.current = 'node drained'
  log('SIGTERM node1 (drain)')
  await node1.stop()
  await node1.start()
  await settle('node drained')

  phases.current = 'steady'
  await until('the reports to send', async () => generator.sent >= TOTAL, 30 * 60_000)
  generator.stop()
  await generating
  await prober.stop()
  const finalMs = await until('final convergence', await caughtUp(), 30_000)
  await until('final station indexes', await indexesCaughtUp(), 30_000)

  // What the database holds: every 2xx, once.
  const accepted = generator.outcomes.filter((o) => o.version !== undefined)
  const { rows: stored } = await db.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM status_reports WHERE id > $1',
    [startId],
  )
  const { rows: found } = await db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM status_reports r
       JOIN unnest($2::int[], $3::int[]) AS a(station_id, version) USING (station_id, version)
      WHERE r.id > $1`,
    [startId, accepted.map((o) => o.stationId), accepted.map((o) => o.version)],
  )
  const lost = accepted.length - found[0]!.n
  const doubled = stored[0]!.n - accepted.length
  const refused = generator.outcomes.filter((o) => o.refused !== undefined).length
  const gaveUp = generator.sent - accepted.length - refused
  const retried = generator.outcomes.filter((o) => o.attempts > 1).length

  const summary = {
    reports: {
      sent: generator.sent,
      accepted: accepted.length,
      inDatabase: stored[0]!.n,
      lost,
      doubled,
      gaveUp,
      refused,
      retried,
    },
    liveClients: {
      count: clients.length,
      convergedAtEnd: true,
      finalMs,
      afterEachFault: convergence,
    },
    recoveryMs: recovery,
    nearest: Object.fromEntries(
      [...phases.nearest].map(([phase, p]) => [
        phase,
        {
          requests: p.ms.length + p.failed,
          failed: p.failed,
          p50: Math.round(percentile(p.ms, 50)),
          p99: Math.round(percentile(p.ms, 99)),
        },
      ]),
    ),
  }
  console.log(JSON.stringify(summary, null, 2))
  const out = path.join('.cache', 'faults', smoke ? 'smoke.json' : 'last.json')
  fs.mkdirSync(path.dirname(out), { recursive: true })
  fs.writeFileSync(out, JSON.stringify(summary, null, 2))
  for (const c of clients) c.close()
  if (lost || doubled || gaveUp || refused || unhandled) {
    console.error(
      `FAILED: ${lost} lost, ${doubled} doubled, ${gaveUp} never accepted, ${refused} refused, ` +
        `${unhandled} unhandled errors`,
    )
    exitCode = 1
  } else
    console.log(
      `passed: ${accepted.length} reports, 0 lost, 0 doubled, every live client and every ` +
        "node's nearest converged",
    )
} catch (err) {
  console.error(err)
  console.error(`node logs: ${cluster.dir}`)
  exitCode = 1
} finally {
  await db.end().catch(() => {})
  await cluster.stop()
}
process.exit(exitCode)
