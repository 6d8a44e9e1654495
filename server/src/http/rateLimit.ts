import { rateLimit } from 'express-rate-limit'
import { HttpError } from '../errors.ts'

/**
 * Per client address; past the limit a 429 problem (with RateLimit and Retry-After headers).
 * `failuresOnly` counts only refused requests: sign-in guesses, not managers signing in.
 */
export function limitPerAddress(
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
    handler: (_req, _res, next) => next(new HttpError(429, 'Too Many Requests', detail)),
  })
}
