import { routesFor } from './routes.ts'
import type { Request, RequestHandler, Router } from 'express'
import { HttpError, badRequest, forbidden } from '../errors.ts'

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])

/** Where a NUL character hides in parsed input: PostgreSQL text cannot hold one. */
export function nulPath(value: unknown, path: string[]): string | undefined {
  if (typeof value === 'string') return value.includes('\u0000') ? path.join('.') : undefined
  if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k.includes('\u0000')) return [...path, k].join('.')
      const found = nulPath(v, [...path, k])
      if (found !== undefined) return found
    }
  }
  return undefined
}

/** A NUL character in any query parameter or body field is a 400 naming the field. */
export const rejectNul: RequestHandler = (req, _res, next) => {
  for (const [where, value] of [
    ['query', req.query],
    ['body', req.body],
  ] as const) {
    const path = nulPath(value, [])
    if (path !== undefined) {
      const field = path || where
      return next(
        badRequest(`Invalid ${where}: ${field}: must not contain NUL characters`, [
          { path: field, message: 'must not contain NUL characters' },
        ]),
      )
    }
  }
  next()
}

const hasBody = (req: Request) =>
  req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0

/** A body that is not JSON on a JSON route is a 415, not a confusing 400. */
export const requireJsonBody: RequestHandler = (req, _res, next) => {
  if (!UNSAFE.has(req.method) || !hasBody(req) || req.is(['application/json', '+json']))
    return next()
  next(
    new HttpError(
      415,
      'Unsupported Media Type',
      `Send the body as application/json, not ${req.get('content-type') ?? 'without a type'}`,
      undefined,
      { 'Accept-Post': 'application/json', 'Accept-Patch': 'application/json' },
    ),
  )
}

/**
 * A browser write that rides on the session cookie must come from our own pages or a trusted
 * origin (CSRF). Browsers send Origin with every such request; scripts that send neither
 * Origin nor Sec-Fetch-Site are not browsers and cannot be made to carry the cookie.
 */
export function sameOriginWrites(
  trusted: readonly string[],
  usesCookie: (req: Request) => boolean,
): RequestHandler {
  return (req, _res, next) => {
    if (!UNSAFE.has(req.method) || !usesCookie(req)) return next()
    const origin = req.get('origin')
    const site = req.get('sec-fetch-site')
    const ok = origin
      ? origin === `${req.protocol}://${req.get('host')}` || trusted.includes(origin)
      : site === undefined || site === 'same-origin' || site === 'none'
    next(ok ? undefined : forbidden(`Signed-in writes from ${origin ?? site} are not allowed`))
  }
}

/** A path that exists with other methods is a 405 listing them in Allow, not a 404. */
export function methodNotAllowed(router: Router): RequestHandler {
  return (req, _res, next) => {
    const allowed = new Set<string>()
    for (const route of routesFor(router, req.path)) for (const m of route.methods) allowed.add(m)
    if (!allowed.size) return next()
    if (allowed.has('GET')) allowed.add('HEAD')
    const allow = [...allowed].join(', ')
    next(
      new HttpError(
        405,
        'Method Not Allowed',
        `${req.method} is not allowed here; use ${allow}`,
        undefined,
        {
          Allow: allow,
        },
      ),
    )
  }
}
