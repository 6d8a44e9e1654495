import { Router } from 'express'
import type { Knex } from 'knex'
import { parse } from '../errors.ts'
import { requireScope } from '../auth/middleware.ts'
import { auditQuery } from './schema.ts'
import { listAudit } from './queries.ts'

export function auditRoutes(knex: Knex) {
  const router = Router()
  router.get('/audit', requireScope('admin'), async (req, res) => {
    const q = parse(auditQuery, req.query, 'query')
    res.json(await listAudit(knex, q, req.user!.region))
  })
  return router
}
