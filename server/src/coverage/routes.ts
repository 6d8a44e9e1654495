import { Router, type Response } from 'express'
import type { Knex } from 'knex'
import { parse } from '../errors.ts'
import { requireScope } from '../auth/middleware.ts'
import type { Config } from '../config.ts'
import { gapsQuery, suggestionsQuery, summaryQuery, whatIfBody } from './schema.ts'
import { coverageByCity, demandDatasets, findGaps, suggestSites, whatIf } from './queries.ts'
import { ResultCache, dataVersion } from './cache.ts'

// 25 million characters of JSON (25–50 MB): some 80 gap maps of Changsha at 500 m.
const CACHE_CHARS = 25_000_000

export function coverageRoutes(knex: Knex, config: Config) {
  const router = Router()
  const planner = requireScope('plan')
  const cache = new ResultCache(CACHE_CHARS)
  const timeoutMs = config.COVERAGE_STATEMENT_TIMEOUT_MS

  /** Answers from the cache when nothing changed since the same question was answered. */
  async function answer(
    res: Response,
    key: unknown,
    type: string,
    compute: () => Promise<unknown>,
  ) {
    const version = await dataVersion(knex)
    const cacheKey = JSON.stringify(key)
    let body = cache.get(version, cacheKey)
    res.setHeader('X-Cache', body === undefined ? 'miss' : 'hit')
    if (body === undefined) {
      body = JSON.stringify(await compute())
      cache.set(version, cacheKey, body)
    }
    res.type(type).send(body)
  }

  router.get('/coverage/datasets', planner, async (_req, res) => {
    res.json({ datasets: await demandDatasets(knex) })
  })

  router.get('/coverage/gaps', planner, async (req, res) => {
    const q = parse(gapsQuery, req.query, 'query')
    await answer(res, ['gaps', q], 'application/geo+json', () => findGaps(knex, q, timeoutMs))
  })

  router.get('/coverage/suggestions', planner, async (req, res) => {
    const q = parse(suggestionsQuery, req.query, 'query')
    await answer(res, ['suggestions', q], 'json', () => suggestSites(knex, q, timeoutMs))
  })

  router.get('/coverage/summary', planner, async (req, res) => {
    const q = parse(summaryQuery, req.query, 'query')
    await answer(res, ['summary', q], 'json', () => coverageByCity(knex, q, timeoutMs))
  })

  router.post('/coverage/what-if', planner, async (req, res) => {
    const body = parse(whatIfBody, req.body, 'body')
    await answer(res, ['what-if', body], 'json', () => whatIf(knex, body, timeoutMs))
  })

  return router
}
