import type { RequestHandler } from 'express'
import type { Knex } from 'knex'
import client from 'prom-client'
import { routeLabel } from '../http/routes.ts'

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
}

export type Metrics = ReturnType<typeof createMetrics>

const ACTIVE_TOTALS = ['handles', 'requests', 'resources']

export function createMetrics({ knex, liveConnections, indexedStations }: MetricSources) {
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
    help: 'Stations in the in-memory index of this node (absent until it has loaded)',
    registers: [registry],
    collect() {
      const n = indexedStations()
      if (n === undefined) this.reset()
      else this.set(n)
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

  const middleware: RequestHandler = (req, res, next) => {
    const end = httpDuration.startTimer()
    res.on('finish', () => {
      // The route pattern, not the URL, so ids and tiles don't explode the label set.
      end({ method: req.method, route: routeLabel(req), status: String(res.statusCode) })
    })
    next()
  }

  return {
    registry,
    middleware,
    reportAnswered(outcome: 'accepted' | 'replayed', alerts: number) {
      reports.inc({ outcome })
      if (alerts) alertsOpened.inc(alerts)
    },
  }
}
