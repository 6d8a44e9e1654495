import type { Knex } from 'knex'
import type { Config } from '../config.ts'
import { ResultCache, dataVersion } from './cache.ts'
import { Analyses } from './admission.ts'

// 25 million characters of JSON (25–50 MB): some 80 gap maps of Changsha at 500 m.
const CACHE_CHARS = 25_000_000

/**
 * The node's coverage answers, for every route that asks (the planner's API and the OGC API's
 * gap cells): one cache and one set of analysis slots, so the same question is computed once
 * whoever asks it, and analyses never take the connections couriers need.
 */
export class CoverageAnswers {
  private readonly cache = new ResultCache(CACHE_CHARS)
  private readonly analyses: Analyses

  constructor(
    private readonly knex: Knex,
    config: Pick<Config, 'COVERAGE_MAX_CONCURRENT' | 'COVERAGE_QUEUE_PER_USER'>,
  ) {
    this.analyses = new Analyses(config.COVERAGE_MAX_CONCURRENT, config.COVERAGE_QUEUE_PER_USER)
  }

  /**
   * The answer from the cache when nothing changed since the same question was answered, or
   * the one being computed for it right now (both `hit`: this request computed nothing);
   * otherwise computed once admitted for `userId`.
   */
  async answer(
    key: unknown,
    userId: number,
    compute: () => Promise<unknown>,
  ): Promise<{ body: string; hit: boolean }> {
    const version = await dataVersion(this.knex)
    const cacheKey = JSON.stringify(key)
    const cached = this.cache.get(version, cacheKey)
    if (cached !== undefined) return { body: cached, hit: true }
    const { joined, body } = this.analyses.answer(`${version} ${cacheKey}`, userId, async () => {
      const computed = JSON.stringify(await compute())
      this.cache.set(version, cacheKey, computed)
      return computed
    })
    return { body: await body, hit: joined }
  }
}
