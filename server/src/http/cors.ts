import type http from 'node:http'
import cors, { type CorsOptions } from 'cors'
import parseurl from 'parseurl'
import vary from 'vary'
import type { Config } from '../config.ts'
import type { Middleware } from './hot.ts'

/**
 * Read-only data any site may fetch without credentials (GET and HEAD), each path with
 * everything under it. Routers mounted at these paths must come after the middleware.
 */
export const PUBLIC_PATHS = [
  '/api/v1/stations',
  '/api/v1/tiles',
  '/api/v1/openapi.json',
  '/api/v1/downloads',
  '/ogc',
] as const

/** Where pages of a trusted origin may call with the session cookie. */
export const CREDENTIALED_PATHS = ['/api/v1', '/ogc'] as const

const READS = ['GET', 'HEAD']

/** What scripts on another origin may read of an answer besides the simple headers. */
const EXPOSED = ['ETag', 'Link', 'Location', 'Retry-After', 'Content-Crs']

// Browsers cap it (Chromium at two hours); an hour saves most preflights.
const MAX_AGE = 3600

const PUBLIC: CorsOptions = {
  methods: READS,
  allowedHeaders: ['Authorization', 'If-None-Match'],
  exposedHeaders: EXPOSED,
  maxAge: MAX_AGE,
}

const CREDENTIALED: CorsOptions = {
  credentials: true,
  methods: [...READS, 'POST', 'PUT', 'PATCH', 'DELETE'],
  allowedHeaders: ['Authorization', 'Content-Type', 'If-Match', 'If-None-Match', 'Idempotency-Key'],
  exposedHeaders: EXPOSED,
  maxAge: MAX_AGE,
}

// Express matches routes ignoring case and a trailing slash; so does this.
const under = (paths: readonly string[], path: string) => {
  const p = path.toLowerCase()
  return paths.some((prefix) => p === prefix || p.startsWith(`${prefix}/`))
}

/**
 * CORS for the API: any origin (or CORS_PUBLIC_ORIGINS) may read the public paths without
 * credentials, and TRUSTED_ORIGINS may call any API path with the cookie (trusted wins, so a
 * trusted page that reads stations signed in gets them). An origin allowed neither gets no
 * CORS headers, and its preflight goes on to the app as any OPTIONS would. Plain Node
 * request and response, as it also runs ahead of Express on the hot reads.
 */
export function apiCors(config: Pick<Config, 'TRUSTED_ORIGINS' | 'CORS_PUBLIC_ORIGINS'>) {
  const trusted = new Set(config.TRUSTED_ORIGINS)
  const anyOrigin = config.CORS_PUBLIC_ORIGINS === '*'
  const listed = new Set(anyOrigin ? [] : config.CORS_PUBLIC_ORIGINS)
  // `origin: true` answers with the request's own Origin, which decide() has checked.
  const publicToAll = cors({ ...PUBLIC, origin: '*' })
  const publicToOrigin = cors({ ...PUBLIC, origin: true })
  const signedIn = cors({ ...CREDENTIALED, origin: true })

  /** Which CORS this request gets (null: none), and whether the answer depends on Origin. */
  function decide(req: http.IncomingMessage): { corsWith: Middleware | null; varies: boolean } {
    const origin = req.headers.origin
    const preflight = req.method === 'OPTIONS' && req.headers['access-control-request-method']
    // an OPTIONS that is not a preflight is left to the app
    if (req.method === 'OPTIONS' && !preflight) return { corsWith: null, varies: false }
    const method = (preflight || req.method!).toUpperCase()
    const path = parseurl(req)?.pathname ?? '/'
    const isPublic = READS.includes(method) && under(PUBLIC_PATHS, path)
    const credentialed = trusted.size > 0 && under(CREDENTIALED_PATHS, path)
    if (credentialed && origin && trusted.has(origin)) return { corsWith: signedIn, varies: true }
    if (isPublic && anyOrigin) return { corsWith: publicToAll, varies: credentialed }
    if (isPublic && origin && listed.has(origin)) return { corsWith: publicToOrigin, varies: true }
    return { corsWith: null, varies: credentialed || (isPublic && listed.size > 0) }
  }

  const handler: Middleware = (req, res, next) => {
    const { corsWith, varies } = decide(req)
    // a cache must not hand one origin's answer to another
    if (varies) vary(res, 'Origin')
    if (corsWith) corsWith(req, res, next)
    else next()
  }
  return handler
}
