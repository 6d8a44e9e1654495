import { Router, type Request, type Response } from 'express'
import type { Knex } from 'knex'
import { parse } from '../errors.ts'
import { requireScope } from '../auth/middleware.ts'
import type { Config } from '../config.ts'
import { gapsQuery, suggestionsQuery, summaryQuery, whatIfBody } from './schema.ts'
import { coverageByCity, demandDatasets, findGaps, suggestSites, whatIf } from './queries.ts'
import { ResultCache, dataVersion } from './cache.ts'
import { Analyses } from './admission.ts'

// 25 million characters of JSON (25–50 MB): some 80 gap maps of Changsha at 500 m.
const CACHE_CHARS = 25_000_000

export function coverageRoutes(knex: Knex, config: Config) {
  const router = Router()
  const planner = requireScope('plan')
  const cache = new ResultCache(CACHE_CHARS)
  const timeoutMs = config.COVERAGE_STATEMENT_TIMEOUT_MS
  const analyses = new Analyses(config.COVERAGE_MAX_CONCURRENT, config.COVERAGE_QUEUE_PER_USER)

  /**
   * Answers from the cache when nothing changed since the same question was answered, or with
   * the answer being computed for it right now (both `X-Cache: hit`: this request computed
   * nothing); otherwise computes it once admitted.
   */
  async function answer(
    req: Request,
    res: Response,
    key: unknown,
    type: string,
    compute: () => Promise<unknown>,
  ) {
    const version = await dataVersion(knex)
    const cacheKey = JSON.stringify(key)
    const cached = cache.get(version, cacheKey)
    if (cached !== undefined) {
      res.setHeader('X-Cache', 'hit').type(type).send(cached)
      return
    }
    const { joined, body } = analyses.answer(`${version} ${cacheKey}`, req.user!.id, async () => {
      const computed = JSON.stringify(await compute())
      cache.set(version, cacheKey, computed)
      return computed
    })
    res.setHeader('X-Cache', joined ? 'hit' : 'miss')
    res.type(type).send(await body)
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
