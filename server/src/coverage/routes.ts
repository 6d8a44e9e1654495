import { Router, type Request, type Response } from 'express'
import type { Knex } from 'knex'
import { parse } from '../errors.ts'
import { requireScope } from '../auth/middleware.ts'
import type { Config } from '../config.ts'
import { gapsQuery, suggestionsQuery, summaryQuery, whatIfBody } from './schema.ts'
import { coverageByCity, demandDatasets, findGaps, suggestSites, whatIf } from './queries.ts'
import type { CoverageAnswers } from './answers.ts'

export function coverageRoutes(knex: Knex, config: Config, answers: CoverageAnswers) {
  const router = Router()
  const planner = requireScope('plan')
  const timeoutMs = config.COVERAGE_STATEMENT_TIMEOUT_MS

  async function answer(
    req: Request,
    res: Response,
    key: unknown,
    type: string,
    compute: () => Promise<unknown>,
  ) {
    const { body, hit } = await answers.answer(key, req.user!.id, compute)
    res
      .setHeader('X-Cache', hit ? 'hit' : 'miss')
      .type(type)
      .send(body)
  }

  router.get('/coverage/datasets', planner, async (_req, res) => {
    res.json({ datasets: await demandDatasets(knex) })
  })

  router.get('/coverage/gaps', planner, async (req, res) => {
    const q = parse(gapsQuery, req.query, 'query')
    await answer(req, res, ['gaps', q], 'application/geo+json', () => findGaps(knex, q, timeoutMs))
  })

  router.get('/coverage/suggestions', planner, async (req, res) => {
    const q = parse(suggestionsQuery, req.query, 'query')
    await answer(req, res, ['suggestions', q], 'json', () => suggestSites(knex, q, timeoutMs))
  })

  router.get('/coverage/summary', planner, async (req, res) => {
    const q = parse(summaryQuery, req.query, 'query')
    await answer(req, res, ['summary', q], 'json', () => coverageByCity(knex, q, timeoutMs))
  })

  router.post('/coverage/what-if', planner, async (req, res) => {
    const body = parse(whatIfBody, req.body, 'body')
    await answer(req, res, ['what-if', body], 'json', () => whatIf(knex, body, timeoutMs))
  })

  return router
}
