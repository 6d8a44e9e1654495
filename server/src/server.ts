import http from 'node:http'
import type { Logger } from 'pino'
import type { Config } from './config.ts'
import type { Database } from './db/knex.ts'
import { createApp, createLiveHub } from './app.ts'
import { redisAdapter } from './live/redis.ts'
import { statusRules } from './stations/status.ts'

/**
 * The composition root: the app, its live hub and the HTTP server they share, not yet
 * listening. `npm start`, the tests and the benchmarks (through `npm start`) all build it here.
 */
export async function createServer(opts: {
  db: Database
  config: Config
  logger?: Logger
  /** The clock for open_now and staleness; tests pin it. */
  clock?: () => Date
  /** Redis for live updates across nodes; defaults to REDIS_URL. */
  redisUrl?: string
}) {
  const { db, config, logger, clock } = opts
  const live = createLiveHub(db, config, statusRules(config.STALE_AFTER_MINUTES, clock), (err) =>
    logger?.error({ err }, 'live update failed'),
  )
  const app = createApp({ db, config, logger, clock, live })
  const server = http.createServer(app)
  const redisUrl = opts.redisUrl ?? config.REDIS_URL
  const redis = redisUrl
    ? await redisAdapter(redisUrl, (err) => logger?.warn({ err }, 'redis'))
    : undefined
  live.attach(server, redis?.adapter)
  return {
    app,
    server,
    live,
    async close() {
      await live.close() // closes the HTTP server too
      await redis?.close()
    },
  }
}
