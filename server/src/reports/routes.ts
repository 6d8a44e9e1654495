import { Router } from 'express'
import type { Knex } from 'knex'
import { parse } from '../errors.ts'
import { idempotencyKey, idParam } from '../http/params.ts'
import { requireScope } from '../auth/middleware.ts'
import type { StatusRules } from '../stations/status.ts'
import type { Station } from '../stations/queries.ts'
import type { Metrics } from '../health/metrics.ts'
import type { ChangeFeed } from '../live/feed.ts'
import { ifMatch, stationEtag } from '../stations/etag.ts'
import { busyHoursQuery, historyQuery, reportBody } from './schema.ts'
import { openAlerts } from './queries.ts'
import { busyHours, historyFor, submitReport } from './service.ts'

export function reportRoutes(
  knex: Knex,
  rules: () => StatusRules,
  metrics: Pick<Metrics, 'reportAnswered'>,
  /** Hands an accepted report to this node's clients, index and tiles at once. */
  own: Pick<ChangeFeed, 'ownReport'>,
) {
  const router = Router()

  router.post('/stations/:id/reports', requireScope('report'), async (req, res) => {
    const { id } = parse(idParam, req.params, 'path')
    const key = parse(idempotencyKey, req.get('idempotency-key'), 'Idempotency-Key')
    const version =
      req.get('if-match') === undefined
        ? undefined
        : parse(ifMatch, req.get('if-match'), 'If-Match')
    const body = parse(reportBody, req.body, 'body')
    const outcome = await submitReport(
      knex,
      { user: req.user!, stationId: id, key, ifMatch: version, body },
      rules,
    )
    // the feed brings it to the other nodes
    if (outcome.accepted) await own.ownReport(outcome.accepted.row, outcome.body as Station)
    if (outcome.status === 201)
      metrics.reportAnswered(
        outcome.accepted ? 'accepted' : 'replayed',
        outcome.accepted?.alertsOpened ?? 0,
      )
    if (outcome.status === 201) res.set('ETag', stationEtag(outcome.body as Station))
    res.status(outcome.status).json(outcome.body)
  })

  router.get('/stations/:id/reports', requireScope('read'), async (req, res) => {
    const { id } = parse(idParam, req.params, 'path')
    const q = parse(historyQuery, req.query, 'query')
    res.json(await historyFor(knex, req.user!, id, q))
  })

  router.get('/stations/:id/busy-hours', async (req, res) => {
    const { id } = parse(idParam, req.params, 'path')
    const { weeks } = parse(busyHoursQuery, req.query, 'query')
    res.json(await busyHours(knex, id, weeks, rules().now))
  })

  router.get('/alerts', requireScope('read'), async (req, res) => {
    res.json({ alerts: await openAlerts(knex, req.user!) })
  })

  return router
}
