import { Router } from 'express'
import type { Knex } from 'knex'
import client from 'prom-client'

export function healthRoutes(knex: Knex, registry: client.Registry) {
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

  router.get('/metrics', async (_req, res) => {
    res.type(registry.contentType).send(await registry.metrics())
  })

  return router
}
