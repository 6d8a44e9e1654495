// npm run soak -- --minutes M [--rate R] [--clients N]
// A steady, realistic load on the same deployment as the fault suite (three nodes behind
// HAProxy): reports, couriers' nearest queries, map tiles and live clients. Every interval it
// prints each node's memory and handles and the p99 of each kind of request; at the end, the
// memory growth from the first to the last interval. It exits 1 if a request kind failed.
import { parseArgs } from 'node:util'
import { liveClient } from '../liveClient.ts'
import { DEMO_PASSWORD, startCluster } from './cluster.ts'
import { NearestProber, Phases, ReportGenerator, managerToken, percentile } from './load.ts'

const { values: args } = parseArgs({
  options: {
    minutes: { type: 'string', default: '2' },
    rate: { type: 'string', default: '20' },
    clients: { type: 'string', default: '50' },
    interval: { type: 'string' },
  },
})
const minutes = Number(args.minutes)
const intervalMs = Number(args.interval ?? (minutes <= 5 ? 20 : 60)) * 1000
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

// a client library's stray rejection must not end the run before the cluster is stopped
let unhandled = 0
process.on('unhandledRejection', (err) => {
  unhandled++
  console.error('unhandled rejection:', err)
})

/** A gauge from a node's /metrics (prom-client's default process metrics). */
async function gauges(url: string) {
  const text = await (await fetch(`${url}/metrics`)).text()
  const value = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1])
  // handles by type (sockets, timers, servers): their sum
  const handles = [...text.matchAll(/^nodejs_active_handles\{[^}]*\} (\S+)$/gm)].reduce(
    (sum, m) => sum + Number(m[1]),
    0,
  )
  return {
    rssMb: value('process_resident_memory_bytes') / 2 ** 20,
    heapMb: value('nodejs_heap_size_used_bytes') / 2 ** 20,
    handles,
  }
}

const cluster = await startCluster({ nodes: 3, stations: 4076 })
let failed = false
try {
  const managers = []
  for (let i = 1; i <= 20; i++)
    managers.push(
      await managerToken(cluster.lb.url, `manager${String(i).padStart(3, '0')}`, DEMO_PASSWORD),
    )
  const clients = Array.from({ length: Number(args.clients) }, (_, i) =>
    liveClient(cluster.lb.url, { polling: i % 4 === 3 }),
  )
  await Promise.all(
    clients.map((c, i) => {
      const lon = 112.9 + (i % 10) * 0.02
      const lat = 28.12 + Math.floor(i / 10) * 0.02
      return c.subscribe([lon, lat, lon + 0.03, lat + 0.03])
    }),
  )

  const phases = new Phases()
  const tiles: number[] = []
  let tileFailures = 0
  let stop = false
  const tileLoop = async () => {
    while (!stop) {
      const z = 12 + Math.floor(Math.random() * 3)
      const n = 2 ** z
      const x = Math.floor(((112.95 + Math.random() * 0.1 + 180) / 360) * n)
      const r = ((28.15 + Math.random() * 0.1) * Math.PI) / 180
      const y = Math.floor(((1 - Math.log(Math.tan(r) + 1 / Math.cos(r)) / Math.PI) / 2) * n)
      const t0 = performance.now()
      // bounded like the couriers' requests: a tile that never comes is a failure, not a hang
      const ok = await fetch(`${cluster.lb.url}/api/v1/tiles/stations/${z}/${x}/${y}.mvt`, {
        signal: AbortSignal.timeout(15_000),
      })
        .then(async (res) => (await res.arrayBuffer(), res.ok))
        .catch(() => false)
      if (ok) tiles.push(performance.now() - t0)
      else tileFailures++
      await sleep(50)
    }
  }
  const generator = new ReportGenerator(cluster.lb.url, managers, Number(args.rate))
  const prober = new NearestProber(cluster.lb.url, phases, 1)
  prober.start()
  const generating = generator.run(Number.POSITIVE_INFINITY)
  const tiling = tileLoop()

  const rows: Record<string, unknown>[] = []
  const t0 = Date.now()
  for (let i = 1; Date.now() - t0 < minutes * 60_000; i++) {
    phases.current = `t${i}`
    await sleep(intervalMs)
    const nodes = await Promise.all(cluster.nodes.map((n) => gauges(n.url)))
    const window = phases.nearest.get(`t${i}`) ?? { ms: [], failed: 0 }
    const reports = generator.outcomes.filter((o) => o.version !== undefined).length
    const row = {
      minute: Math.round((Date.now() - t0) / 6000) / 10,
      rssMb: nodes.map((n) => Math.round(n.rssMb)).join('/'),
      heapMb: nodes.map((n) => Math.round(n.heapMb)).join('/'),
      handles: nodes.map((n) => n.handles).join('/'),
      nearestP99: Math.round(percentile(window.ms, 99)),
      nearestFailed: window.failed,
      tileP99: Math.round(percentile(tiles.splice(0), 99)),
      tileFailed: tileFailures,
      reports,
    }
    rows.push(row)
    console.log(JSON.stringify(row))
    if (window.failed || tileFailures) failed = true
  }
  stop = true
  generator.stop()
  // The figures are in; a load loop of this script that does not wind down (every request
  // it makes is bounded) is said, and the cluster is stopped all the same: one hour-long run
  // once waited here for good.
  const wound = await Promise.race([
    Promise.all([generating, prober.stop(), tiling]).then(() => true),
    sleep(60_000).then(() => false),
  ])
  if (!wound) console.error('a load loop of the soak was still running 60 s after the end')
  for (const c of clients) c.close()
  const first = rows[0]!.rssMb as string
  const last = rows[rows.length - 1]!.rssMb as string
  console.log(`rss by node (MB), first interval ${first}, last ${last}; reports ${generator.sent}`)
} finally {
  await cluster.stop()
}
process.exit(failed || unhandled ? 1 : 0)
