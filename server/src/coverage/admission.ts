import pLimit, { type LimitFunction } from 'p-limit'
import { HttpError } from '../errors.ts'

/** About how long an analysis takes, for a refused user's Retry-After. */
const RETRY_AFTER_SECONDS = 5

/**
 * Which analyses run, and when. A few at a time per process, so that they never hold the
 * connections couriers need; one at a time per user with a few waiting behind it, more refused;
 * and the same question asked again while it is being answered waits for that answer instead
 * of being computed twice.
 */
export class Analyses {
  private readonly slots: LimitFunction
  /** Each user's analyses one at a time, and how many are running or waiting. */
  private readonly perUser = new Map<number, { one: LimitFunction; admitted: number }>()
  private readonly inFlight = new Map<string, Promise<string>>()

  constructor(
    maxConcurrent: number,
    private readonly queuePerUser: number,
  ) {
    this.slots = pLimit(maxConcurrent)
  }

  /**
   * The answer to `key`: the one being computed, or `compute` run for `userId` once admitted.
   * Throws a 429 problem at once when that user already has as many as they may.
   */
  answer(
    key: string,
    userId: number,
    compute: () => Promise<string>,
  ): { joined: boolean; body: Promise<string> } {
    const running = this.inFlight.get(key)
    if (running) return { joined: true, body: running }
    const body = this.admit(userId, compute)
    this.inFlight.set(key, body)
    const done = () => this.inFlight.delete(key)
    body.then(done, done)
    return { joined: false, body }
  }

  private admit(userId: number, compute: () => Promise<string>): Promise<string> {
    const own = this.perUser.get(userId) ?? { one: pLimit(1), admitted: 0 }
    if (own.admitted > this.queuePerUser) {
      throw new HttpError(
        429,
        'Too Many Requests',
        'You have as many coverage analyses running or waiting as you may; try again shortly',
        undefined,
        { 'Retry-After': String(RETRY_AFTER_SECONDS) },
      )
    }
    own.admitted++
    this.perUser.set(userId, own)
    return own
      .one(() => this.slots(compute))
      .finally(() => {
        if (--own.admitted === 0) this.perUser.delete(userId)
      })
  }
}
