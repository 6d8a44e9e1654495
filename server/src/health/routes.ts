import { Router } from 'express'
import type { Knex } from 'knex'
import crypto from 'node:crypto'
import client from 'prom-client'
import { HttpError } from '../errors.ts'

const sameSecret = (a: string, b: string) => {
  const [x, y] = [Buffer.from(a), Buffer.from(b)]
  return x.length === y.length && crypto.timingSafeEqual(x, y)
}

/**
 * The parts a node needs besides the database. Without its change feed a node would serve
 * maps that never move: not ready. Without Redis it still serves everything, each node
 * counting its own limits: ready, and /readyz says so.
 */
export interface Readiness {
  feed: 'up' | 'down'
  redis?: 'up' | 'down'
  /** Shutting down: finishing what it has, taking nothing new. */
  draining?: boolean
}

const unavailable = (detail: string, parts: Partial<Readiness>) => ({
  type: 'https://yizhan.dev/problems/503',
  title: 'Service Unavailable',
  status: 503,
  detail,
  ...parts,
})

export function healthRoutes(
  knex: Knex,
  registry: client.Registry,
  metricsToken?: string,
  parts: () => Partial<Readiness> = () => ({}),
) {
  const router = Router()

  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' })
  })

  router.get('/readyz', async (_req, res) => {
    const now = parts()
    res.setHeader('Cache-Control', 'no-store')
    if (now.draining)
      return res
        .status(503)
        .type('application/problem+json')
        .json(unavailable('This node is shutting down', now))
    try {
      await Promise.race([
        knex.raw('SELECT 1'),
        new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), 2_000).unref()),
      ])
    } catch {
      return res
        .status(503)
        .type('application/problem+json')
        .json(unavailable('The database is unreachable', now))
    }
    if (now.feed === 'down')
      return res
        .status(503)
        .type('application/problem+json')
        .json(unavailable('The live change feed is reconnecting', now))
    res.json({ status: now.redis === 'down' ? 'degraded' : 'ready', ...now })
  })

  router.get('/metrics', async (req, res) => {
    const given = req.get('authorization')?.match(/^Bearer\s+(\S+)$/i)?.[1]
    if (metricsToken && !(given && sameSecret(given, metricsToken))) {
      throw new HttpError(401, 'Unauthorized', 'Metrics need the metrics token', undefined, {
        'WWW-Authenticate': 'Bearer realm="metrics"',
      })
    }
    res.type(registry.contentType).send(await registry.metrics())
  })

  return router
}
