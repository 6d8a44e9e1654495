import { Router } from 'express'
import type { Knex } from 'knex'
import crypto from 'node:crypto'
import client from 'prom-client'
import { HttpError } from '../errors.ts'

const sameSecret = (a: string, b: string) => {
  const [x, y] = [Buffer.from(a), Buffer.from(b)]
  return x.length === y.length && crypto.timingSafeEqual(x, y)
}

export function healthRoutes(knex: Knex, registry: client.Registry, metricsToken?: string) {
  const router = Router()

  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' })
  })

  router.get('/readyz', async (_req, res) => {
    try {
      await Promise.race([
        knex.raw('SELECT 1'),
        new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), 2_000).unref()),
      ])
      res.json({ status: 'ready' })
    } catch {
      res.status(503).type('application/problem+json').json({
        type: 'https://yizhan.dev/problems/503',
        title: 'Service Unavailable',
        status: 503,
        detail: 'The database is unreachable',
      })
    }
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
