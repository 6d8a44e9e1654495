import { Router } from 'express'
import type { Knex } from 'knex'
import { parse } from '../errors.ts'
import { idempotencyKey } from '../http/params.ts'
import { limitPerAddress, type RateLimits } from '../http/rateLimit.ts'
import { requireScope } from '../auth/middleware.ts'
import type { Config } from '../config.ts'
import { createRequestBody, listRequestsQuery } from './schema.ts'
import { createRequest, findRequestsInBbox } from './queries.ts'

export function stationRequestRoutes(knex: Knex, config: Config, limits: RateLimits) {
  const router = Router()

  // Anyone may ask; the limit keeps one client from flooding the demand layer.
  const limiter = limitPerAddress(
    limits,
    'station-requests',
    3600_000,
    config.STATION_REQUEST_RATE_LIMIT,
    'Too many station requests; try again later',
  )

  router.post('/station-requests', limiter, async (req, res) => {
    const body = parse(createRequestBody, req.body, 'body')
    const key = parse(idempotencyKey.optional(), req.get('idempotency-key'), 'Idempotency-Key')
    const { created, request } = await createRequest(knex, body, key)
    res.status(created ? 201 : 200).json(request)
  })

  router.get('/station-requests', requireScope('plan'), async (req, res) => {
    const q = parse(listRequestsQuery, req.query, 'query')
    res.type('application/geo+json').json(await findRequestsInBbox(knex, q))
  })

  return router
}
