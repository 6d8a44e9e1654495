import type http from 'node:http'
import type { RequestHandler } from 'express'
import type { Knex } from 'knex'
import client from 'prom-client'
import { routeLabel } from '../http/routes.ts'
import type { Middleware } from '../http/hot.ts'
import type { TileCacheEvents } from '../tiles/cache.ts'

interface Pool {
  numUsed(): number
  numFree(): number
  numPendingAcquires(): number
}

export interface MetricSources {
  knex: Knex
  liveConnections(): number
  /** Stations in this node's index; undefined while it loads (or without one). */
  indexedStations(): number | undefined
  /** The bytes that index holds, by part (see StationIndex.memory); undefined as above. */
  indexBytes(): { search: number; bodies: number } | undefined
  /** The tile cache's contents, when there is one. */
  tileCache?(): { tiles: number; bytes: number } | undefined
}

export type Metrics = ReturnType<typeof createMetrics>

const ACTIVE_TOTALS = ['handles', 'requests', 'resources']

export function createMetrics({
  knex,
  liveConnections,
  indexedStations,
  indexBytes,
  tileCache,
}: MetricSources) {
  const registry = new client.Registry()
  client.collectDefaultMetrics({ register: registry })
  // prom-client names these sums `_total`, which Prometheus reserves for counters; the same
  // gauges by type stay.
  for (const name of ACTIVE_TOTALS) registry.removeSingleMetric(`nodejs_active_${name}_total`)
  const httpDuration = new client.Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration by route and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  })
  new client.Gauge({
    name: 'yizhan_live_connections',
    help: 'Socket.IO connections to /live on this node',
    registers: [registry],
    collect() {
      this.set(liveConnections())
    },
  })
  new client.Gauge({
    name: 'yizhan_station_index_stations',
    help: 'Stations in the in-memory index of this node (0 until it has loaded)',
    registers: [registry],
    collect() {
      this.set(indexedStations() ?? 0)
    },
  })
  new client.Gauge({
    name: 'yizhan_station_index_bytes',
    help:
      'Bytes the station index holds: search (columns and tree, growing with the stations) ' +
      'and bodies (cached station JSON, bounded by STATION_BODY_CACHE_MB); absent until it has loaded',
    labelNames: ['part'] as const,
    registers: [registry],
    collect() {
      this.reset()
      const bytes = indexBytes()
      if (!bytes) return
      this.set({ part: 'search' }, bytes.search)
      this.set({ part: 'bodies' }, bytes.bodies)
    },
  })
  new client.Gauge({
    name: 'yizhan_db_pool_connections',
    help: 'Database pool connections: used, free, and requests waiting for one (pending)',
    labelNames: ['state'] as const,
    registers: [registry],
    collect() {
      const pool = (knex.client as { pool?: Pool }).pool
      if (!pool) return
      this.set({ state: 'used' }, pool.numUsed())
      this.set({ state: 'free' }, pool.numFree())
      this.set({ state: 'pending' }, pool.numPendingAcquires())
    },
  })
  const reports = new client.Counter({
    name: 'yizhan_reports_total',
    help: 'Status reports answered: accepted (written) or replayed (same Idempotency-Key)',
    labelNames: ['outcome'] as const,
    registers: [registry],
  })
  const alertsOpened = new client.Counter({
    name: 'yizhan_supply_alerts_opened_total',
    help: 'Low-stock alerts opened by reports',
    registers: [registry],
  })
  const tileLookups = new client.Counter({
    name: 'yizhan_tile_cache_lookups_total',
    help: 'Station tiles asked of the tile cache: hit, miss, or expired (its live fields aged)',
    labelNames: ['outcome'] as const,
    registers: [registry],
  })
  const tileEvictions = new client.Counter({
    name: 'yizhan_tile_cache_evictions_total',
    help: 'Cached tiles pushed out by the byte bound (TILE_CACHE_MB)',
    registers: [registry],
  })
  const tileInvalidations = new client.Counter({
    name: 'yizhan_tile_cache_invalidations_total',
    help: 'Cached tiles dropped because a station in them changed, or all of them on a resync',
    labelNames: ['cause'] as const,
    registers: [registry],
  })
  new client.Gauge({
    name: 'yizhan_tile_cache_tiles',
    help: 'Station tiles in the tile cache',
    registers: [registry],
    collect() {
      const stats = tileCache?.()
      if (stats) this.set(stats.tiles)
    },
  })
  new client.Gauge({
    name: 'yizhan_tile_cache_bytes',
    help: 'Bytes the tile cache holds, as its bound counts them',
    registers: [registry],
    collect() {
      const stats = tileCache?.()
      if (stats) this.set(stats.bytes)
    },
  })

  // The route pattern, not the URL, so ids and tiles don't explode the label set.
  const timed =
    <Req extends http.IncomingMessage>(route: (req: Req) => string) =>
    (req: Req, res: http.ServerResponse, next: () => void) => {
      const end = httpDuration.startTimer()
      res.on('finish', () => {
        end({ method: req.method, route: route(req), status: String(res.statusCode) })
      })
      next()
    }
  const middleware: RequestHandler = timed(routeLabel)

  return {
    registry,
    middleware,
    /** The same, for a route answered ahead of Express, which knows its own label. */
    routeMiddleware: (route: string): Middleware => timed(() => route),
    reportAnswered(outcome: 'accepted' | 'replayed', alerts: number) {
      reports.inc({ outcome })
      if (alerts) alertsOpened.inc(alerts)
    },
    tileCache: {
      lookup: (outcome) => tileLookups.inc({ outcome }),
      evicted: () => tileEvictions.inc(),
      invalidated: (cause, tiles) => tileInvalidations.inc({ cause }, tiles),
    } satisfies TileCacheEvents,
  }
}
