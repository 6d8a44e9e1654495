import { MemoryStore, rateLimit, type Options, type Store } from 'express-rate-limit'
import { RedisStore } from 'rate-limit-redis'
import {
  RLWrapperTimeouts,
  RateLimiterMemory,
  RateLimiterRedis,
  type IRateLimiterOptions,
  type RateLimiterAbstract,
} from 'rate-limiter-flexible'
import type { Logger } from 'pino'
import { HttpError } from '../errors.ts'
import type { Redis } from '../live/redis.ts'

/** Longer than any answer of a working Redis: past it, a limit counts in memory instead. */
const REDIS_WAIT_MS = 500

/**
 * Where every rate limit of one process counts: in Redis when there is one, so that N nodes
 * allow what one would; in memory otherwise. While Redis is unreachable each limit counts in
 * this process's memory (per node, as without Redis) instead of refusing everyone or letting
 * everyone through, and says so once in the log.
 */
export class RateLimits {
  private degraded = false

  constructor(
    private readonly redis?: Redis,
    private readonly prefix = '',
    private readonly logger?: Logger,
  ) {
    redis?.on('error', (err) => this.lost(err))
    redis?.on('ready', () => {
      if (!this.degraded) return
      this.degraded = false
      this.logger?.info('Redis is back: rate limits are shared by the nodes again')
    })
  }

  /** Redis went away, or a command failed although the client looked ready. */
  lost(err: unknown) {
    if (this.degraded) return
    this.degraded = true
    this.logger?.warn({ err }, 'Redis unreachable: rate limits count per node until it is back')
  }

  /** A store for express-rate-limit; `name` keeps one limit's counts apart from another's. */
  store(name: string): Store {
    return this.redis
      ? new FallbackStore(this.redis, `${this.prefix}${name}:`, this)
      : new MemoryStore()
  }

  /** A rate-limiter-flexible limiter; its keyPrefix names it the same way. */
  limiter(opts: IRateLimiterOptions & { keyPrefix: string }): RateLimiterAbstract {
    const memory = new RateLimiterMemory(opts)
    if (!this.redis) return memory
    const shared = new RateLimiterRedis({
      ...opts,
      keyPrefix: `${this.prefix}${opts.keyPrefix}`,
      storeClient: this.redis,
      useRedisPackage: true,
      // Otherwise commands wait in the client's queue for as long as Redis is away.
      rejectIfRedisNotReady: true,
    })
    // A command the library sends regardless (delete), or a Redis that stopped answering.
    return new RLWrapperTimeouts({
      limiter: shared,
      timeoutMs: REDIS_WAIT_MS,
      insuranceLimiter: memory,
    })
  }
}

function within<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Redis did not answer within ${ms} ms`)), ms)
  })
  return Promise.race([work, late]).finally(() => clearTimeout(timer))
}

/** rate-limit-redis while the client is ready, this process's memory otherwise. */
class FallbackStore implements Store {
  private readonly memory = new MemoryStore()
  private readonly shared: RedisStore
  private options?: Options
  private loaded?: Promise<void>

  constructor(
    private readonly redis: Redis,
    prefix: string,
    private readonly limits: RateLimits,
  ) {
    this.shared = new RedisStore({
      prefix,
      sendCommand: (...args: string[]) => redis.sendCommand(args),
    })
  }

  init(options: Options) {
    this.options = options
    this.memory.init(options)
  }

  /** Runs a command on Redis, or undefined when it cannot (then the caller counts in memory). */
  private async onRedis<T>(command: (store: RedisStore) => Promise<T>): Promise<T | undefined> {
    if (!this.redis.isReady) return undefined
    try {
      // Loads the store's scripts, again after a failed attempt (Redis down at start).
      this.loaded ??= this.shared.init(this.options!).catch((err: unknown) => {
        this.loaded = undefined
        throw err
      })
      return await within(
        this.loaded.then(() => command(this.shared)),
        REDIS_WAIT_MS,
      )
    } catch (err) {
      this.limits.lost(err)
      return undefined
    }
  }

  async increment(key: string) {
    return (await this.onRedis((s) => s.increment(key))) ?? this.memory.increment(key)
  }

  async decrement(key: string) {
    if ((await this.onRedis((s) => s.decrement(key).then(() => true))) === undefined)
      await this.memory.decrement(key)
  }

  async resetKey(key: string) {
    await Promise.all([this.onRedis((s) => s.resetKey(key)), this.memory.resetKey(key)])
  }
}

/**
 * Per client address; past the limit a 429 problem (with RateLimit and Retry-After headers).
 * `failuresOnly` counts only refused requests: sign-in guesses, not managers signing in.
 */
export function limitPerAddress(
  limits: RateLimits,
  name: string,
  windowMs: number,
  limit: number,
  detail: string,
  failuresOnly = false,
) {
  return rateLimit({
    windowMs,
    limit,
    skipSuccessfulRequests: failuresOnly,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    store: limits.store(name),
    handler: (_req, _res, next) => next(new HttpError(429, 'Too Many Requests', detail)),
  })
}
