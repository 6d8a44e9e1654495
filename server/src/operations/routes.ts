import { Router } from 'express'
import type { Knex } from 'knex'
import { parse } from '../errors.ts'
import { requireScope } from '../auth/middleware.ts'
import type { StatusRules } from '../stations/status.ts'
import { operationsQuery } from './schema.ts'
import { operationsIn } from './queries.ts'

export function operationsRoutes(knex: Knex, rules: () => StatusRules) {
  const router = Router()
  router.get('/operations', requireScope('admin'), async (req, res) => {
    const q = parse(operationsQuery, req.query, 'query')
    res.json(await operationsIn(knex, q, req.user!.region, rules().now))
  })
  return router
}
