import type { RequestHandler } from 'express'
import client from 'prom-client'

export function createMetrics() {
  const registry = new client.Registry()
  client.collectDefaultMetrics({ register: registry })
  const httpDuration = new client.Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration by route and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  })
  const middleware: RequestHandler = (req, res, next) => {
    const end = httpDuration.startTimer()
    res.on('finish', () => {
      // The matched route pattern, not the URL, so ids and tiles don't explode the label set.
      const route = req.route?.path ? `${req.baseUrl}${String(req.route.path)}` : 'unmatched'
      end({ method: req.method, route, status: String(res.statusCode) })
    })
    next()
  }
  return { registry, middleware }
}
