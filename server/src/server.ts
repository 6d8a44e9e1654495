import http from 'node:http'
import type { Logger } from 'pino'
import type { Config } from './config.ts'
import type { Database } from './db/knex.ts'
import { createApp, createLiveHub } from './app.ts'
import { closeRedis, connectRedis, redisAdapter } from './live/redis.ts'
import { ChangeFeed } from './live/feed.ts'
import { statusRules } from './stations/status.ts'
import { RateLimits } from './http/rateLimit.ts'
import { StationIndex } from './stations/stationIndex.ts'

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
  /** Redis for live updates and rate limits across nodes; defaults to REDIS_URL. */
  redisUrl?: string
}) {
  const { db, config, logger, clock } = opts
  const redisUrl = opts.redisUrl ?? config.REDIS_URL
  const redis = redisUrl
    ? await connectRedis(redisUrl, (err) => logger?.warn({ err }, 'redis'))
    : undefined
  const limits = new RateLimits(redis, config.REDIS_KEY_PREFIX, logger)
  const rules = statusRules(config.STALE_AFTER_MINUTES, clock)
  const live = createLiveHub(
    db,
    config,
    rules,
    (err) => logger?.error({ err }, 'live update failed'),
    limits,
  )
  const feed = new ChangeFeed(db, live, rules, (err, message) => logger?.warn({ err }, message))
  const stations = new StationIndex(
    db.knex,
    (err) =>
      logger?.warn({ err }, 'loading the station index failed; answering from SQL, retrying'),
    { bodyCacheBytes: config.STATION_BODY_CACHE_MB * 2 ** 20 },
  )
  feed.observe(stations)
  let draining = false
  const parts = () => ({
    ...(draining ? { draining } : {}),
    feed: feed.up ? ('up' as const) : ('down' as const),
    ...(redis ? { redis: redis.isReady ? ('up' as const) : ('down' as const) } : {}),
  })
  const app = createApp({ db, config, logger, clock, live, limits, parts, stations, feed })
  const server = http.createServer(app)
  live.attach(server, redis && redisAdapter(redis))
  await feed.start()
  // answered from SQL until loaded
  stations.load().catch(() => {})
  return {
    app,
    server,
    live,
    feed,
    stations,
    /** Stops being ready, so the load balancer sends no new requests; `close` ends the rest. */
    drain() {
      draining = true
    },
    async close() {
      await feed.close()
      await live.close() // closes the HTTP server too
      if (redis) await closeRedis(redis)
    },
  }
}
