// B9 how soon a change is visible on every node: two servers (two processes on one database,
// the change feed between them), a station manager's report posted through node A, then
// nearest and the z14 tile holding the station asked for on A and on B until each carries the
// report's version. Both tiles are cached before each report, so a tile shows the change only
// once its node's feed has dropped it.
import crypto from 'node:crypto'
import http from 'node:http'
import { PbfReader } from 'pbf'
import { VectorTile } from '@mapbox/vector-tile'
import { withClient } from '../lib/database.ts'
import { login } from '../lib/http.ts'
import { CHANGSHA } from './tiles.ts'
import { budget } from '../lib/report.ts'
import { percentile, tileOf } from '../lib/stats.ts'
import type { BenchContext, Measurement, ScenarioResult, ServerHandle } from '../lib/types.ts'

/** Reports posted (smoke: a few). */
const REPORTS = 50
/** Unmeasured reports first: JIT, pools, prepared statements warm on both nodes. */
const WARM_UP = 5
/** Past this a change counts as never shown, and the scenario fails. */
const GIVE_UP_MS = 10_000

interface Target {
  name: string
  /** The version of the station this answer carries, or undefined when it lacks it. */
  read(): Promise<number | undefined>
}

function tileVersion(body: Uint8Array, id: number) {
  const layer = new VectorTile(new PbfReader(body)).layers.stations
  for (let i = 0; i < (layer?.length ?? 0); i++) {
    const f = layer!.feature(i)
    if (f.properties.id === id) return Number(f.properties.version)
  }
  return undefined
}

/** GET over a kept-alive socket: node:http costs the shared cores less per poll than fetch. */
function get(url: string, agent: http.Agent) {
  return new Promise<Buffer>((resolve, reject) => {
    http
      .get(url, { agent }, (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () =>
          res.statusCode === 200
            ? resolve(Buffer.concat(chunks))
            : reject(new Error(`GET ${url}: ${res.statusCode}`)),
        )
        res.on('error', reject)
      })
      .on('error', reject)
  })
}

function targets(node: ServerHandle, side: string, id: number, lon: number, lat: number) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 2 })
  const t = tileOf(lon, lat, 14)
  const tile = `${node.url}/api/v1/tiles/stations/14/${t.x}/${t.y}.mvt`
  const nearest = `${node.url}/api/v1/stations/nearest?lon=${lon}&lat=${lat}&limit=1&order=distance`
  const targets: Target[] = [
    {
      name: `nearest on ${side}`,
      async read() {
        const body = JSON.parse((await get(nearest, agent)).toString('utf8')) as {
          results: { id: number; status: { version: number } }[]
        }
        return body.results.find((r) => r.id === id)?.status.version
      },
    },
    {
      name: `z14 tile on ${side}`,
      async read() {
        return tileVersion(await get(tile, agent), id)
      },
    },
  ]
  return { targets, close: () => agent.destroy() }
}

/** Asks `target` every millisecond until it shows `version`; when it did, from `since`. */
async function shown(target: Target, version: number, since: number) {
  for (;;) {
    const v = await target.read()
    if (v !== undefined && v >= version) return performance.now() - since
    if (performance.now() - since > GIVE_UP_MS)
      throw new Error(`${target.name} never showed version ${version}`)
    await new Promise((r) => setTimeout(r, 1))
  }
}

export async function visibilityScenario(ctx: BenchContext): Promise<ScenarioResult> {
  const { smoke } = ctx.options
  const db = await ctx.database(ctx.options.stations)
  const a = await ctx.startServer({ label: 'B9-A', database: db })
  const b = await ctx.startServer({ label: 'B9-B', database: db })
  // the manager of the active station nearest Changsha's centre
  const { id, username, lon, lat, capacity } = await withClient(db.url, async (c) => {
    const { rows } = await c.query<{
      id: number
      username: string
      lon: number
      lat: number
      capacity: number
    }>(
      `SELECT s.id, u.username, ST_X(s.location::geometry) AS lon,
              ST_Y(s.location::geometry) AS lat, s.capacity
         FROM stations s
         JOIN station_managers m ON m.station_id = s.id
         JOIN users u ON u.id = m.user_id
        WHERE s.state = 'active' AND u.disabled_at IS NULL
        ORDER BY s.location <-> ST_SetSRID(ST_MakePoint($1, $2), 4326)::geography, u.id
        LIMIT 1`,
      [CHANGSHA.lon, CHANGSHA.lat],
    )
    return rows[0]!
  })
  const cookie = await login(a.url, username, ctx.password)
  const onA = targets(a, 'A', id, lon, lat)
  const onB = targets(b, 'B', id, lon, lat)
  const all = [...onA.targets, ...onB.targets]
  const rounds = smoke ? 5 : REPORTS
  /** Per report: ms from sending it until the slowest target showed it, and per target. */
  const slowest: number[] = []
  const fromAnswer: number[] = []
  const each = new Map(all.map((t) => [t.name, [] as number[]]))
  for (let i = -(smoke ? 0 : WARM_UP); i < rounds; i++) {
    // cached on both nodes: the change must drop them
    for (const t of all) await t.read()
    // apart, so that each report is its own batch on the feed
    await new Promise((r) => setTimeout(r, 50 + Math.random() * 50))
    const sent = performance.now()
    const res = await fetch(`${a.url}/api/v1/stations/${id}/reports`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        cookie,
        'idempotency-key': crypto.randomUUID(),
      },
      body: JSON.stringify({ occupancy: Math.abs(i) % (capacity + 1) }),
    })
    if (res.status !== 201) throw new Error(`report: ${res.status} ${await res.text()}`)
    const answered = performance.now()
    const { status } = (await res.json()) as { status: { version: number } }
    const delays = await Promise.all(all.map((t) => shown(t, status.version, sent)))
    if (i < 0) continue
    all.forEach((t, j) => each.get(t.name)!.push(delays[j]!))
    slowest.push(Math.max(...delays))
    fromAnswer.push(Math.max(0, Math.max(...delays) - (answered - sent)))
  }
  const sorted = (v: number[]) => [...v].sort((x, y) => x - y)
  const summary = (c: string, system: string, v: number[]): Measurement => {
    const s = sorted(v)
    return {
      case: c,
      system,
      p50Ms: percentile(s, 0.5),
      p99Ms: percentile(s, 0.99),
      count: s.length,
      extra: { maxMs: Math.round(s.at(-1)! * 10) / 10 },
    }
  }
  const measurements: Measurement[] = [
    summary('a report until every answer shows it, from sending it', 'A and B', slowest),
    summary('the same, from its 201', 'A and B', fromAnswer),
    ...[...each].map(([name, v]) => summary('a report until it shows, from sending it', name, v)),
  ]
  onA.close()
  onB.close()
  const profiles = [await a.stop(), await b.stop()].filter((p) => p !== undefined)
  const worst = sorted(slowest)
  return {
    id: 'B9',
    title: `a change visible on every node (two servers on ${db.stations.toLocaleString('en')} stations)`,
    measurements,
    ratios: [],
    budgets: [
      budget(
        'a report visible in nearest and tiles on A and B, slowest',
        worst.at(-1),
        '<=',
        100,
        ' ms',
        !smoke,
      ),
      budget('the same, median', percentile(worst, 0.5), '<=', 100, ' ms', !smoke),
    ],
    notes: [
      `${rounds} reports (after ${smoke ? 0 : WARM_UP} unmeasured) by ${username}, the manager of station ${id} (nearest Changsha's centre), through node A, 50–100 ms apart; after ` +
        'each, nearest (limit 1 at the station) and its z14 tile asked for on A and B every ' +
        'millisecond until each carries the report’s version',
      'timed from sending the report: its commit is no earlier, so this bounds the time from ' +
        'the commit from above; "from its 201" takes off the time until the answer came back, ' +
        'which is after the commit (a bound from below)',
      'both nodes hold the tile in their cache before each report: it shows the change only ' +
        'after that node’s change feed dropped it',
    ],
    ...(profiles.length ? { profiles } : {}),
  }
}
