import type http from 'node:http'
import path from 'node:path'
import fs from 'node:fs'
import { fileURLToPath } from 'node:url'
import express, { type Request, type Response } from 'express'
import helmet from 'helmet'
import compression from 'compression'
import expressStaticGzip from 'express-static-gzip'
import { pinoHttp } from 'pino-http'
import proxyaddr from 'proxy-addr'
import type { Logger } from 'pino'
import type { Config } from './config.ts'
import type { Database } from './db/knex.ts'
import { errorHandler, notFoundHandler } from './errors.ts'
import { createLogger } from './logger.ts'
import { methodNotAllowed, rejectNul, requireJsonBody, sameOriginWrites } from './http/guards.ts'
import { apiCors } from './http/cors.ts'
import { hotFirst, type Middleware } from './http/hot.ts'
import { apiDocument } from './apiDocument.ts'
import { PAGES } from '../../contract/pages.ts'
import { authenticate } from './auth/middleware.ts'
import { authRoutes } from './auth/routes.ts'
import { stationHotRoutes, stationReadRoutes, stationRoutes } from './stations/routes.ts'
import type { StationIndex } from './stations/stationIndex.ts'
import { statusRules, type StatusRules } from './stations/status.ts'
import { managersOf } from './stations/managers.ts'
import { openAlerts } from './reports/queries.ts'
import type { AuthUser } from './auth/queries.ts'
import { LiveHub } from './live/hub.ts'
import type { ChangeFeed } from './live/feed.ts'
import { RateLimits } from './http/rateLimit.ts'
import { reportRoutes } from './reports/routes.ts'
import { tileHotRoute, tileRoutes } from './tiles/routes.ts'
import { TileCache, type TileFeed } from './tiles/cache.ts'
import { tileRenderer } from './tiles/queries.ts'
import { indexFirst } from './tiles/fromIndex.ts'
import { healthRoutes, type Readiness } from './health/routes.ts'
import { createMetrics } from './health/metrics.ts'
import { metaRoutes } from './meta/routes.ts'
import { basemapOrigins, basemapRoutes } from './basemap/routes.ts'
import { coverageRoutes } from './coverage/routes.ts'
import { CoverageAnswers } from './coverage/answers.ts'
import { stationRequestRoutes } from './requests/routes.ts'
import { userRoutes } from './users/routes.ts'
import { importRoutes } from './imports/routes.ts'
import { auditRoutes } from './audit/routes.ts'
import { operationsRoutes } from './operations/routes.ts'
import { placeRoutes } from './places/routes.ts'
import { ogcRoutes } from './ogc/routes.ts'
import { downloadRoutes } from './downloads/routes.ts'

export interface AppDeps {
  db: Database
  config: Config
  logger?: Logger
  /** The clock for open_now and staleness; tests pin it. */
  clock?: () => Date
  /** Live updates; a server that listens attaches it to its HTTP server. */
  live?: LiveHub
  /** Where rate limits count: shared through Redis by the server, in memory by default. */
  limits?: RateLimits
  /** What the node needs besides the database, for /readyz: its change feed and Redis. */
  parts?: () => Readiness
  /** The stations in memory, kept current by the change feed; without it SQL answers all. */
  stations?: StationIndex
  /**
   * The node's change feed: with it, tiles are cached (TILE_CACHE_MB) and dropped as the
   * stations in them change; without it nothing would drop them, so none are cached.
   */
  feed?: TileFeed & Pick<ChangeFeed, 'ownReport'>
}

/** The live hub, given what it needs from reports and stations. */
export function createLiveHub(
  db: Database,
  config: Config,
  rules: () => StatusRules,
  log?: (err: unknown) => void,
  limits = new RateLimits(),
) {
  const lookups = {
    openAlerts: (user: AuthUser) => openAlerts(db.knex, user),
    managersOf: (stationId: number) => managersOf(db.knex, stationId),
  }
  return new LiveHub(db, rules, config, lookups, log, limits)
}

/** An app built without a change feed still hands its own reports to its clients and index. */
function withoutFeed(live: LiveHub, stations?: StationIndex): Pick<ChangeFeed, 'ownReport'> {
  return {
    async ownReport(row, station) {
      live.statusChanged(station)
      await stations?.ownReport(row)
    },
  }
}

const webDist = path.resolve(fileURLToPath(import.meta.url), '../../../web/dist')

/** Vite names what it builds into assets/ by content hash: a new build is a new name. */
function cacheHeaders(res: http.ServerResponse, file: string) {
  const hashed = file.includes(`${path.sep}assets${path.sep}`)
  res.setHeader('Cache-Control', hashed ? 'public, max-age=31536000, immutable' : 'no-cache')
}

/**
 * Text and vector tiles (protobuf, which compresses to a quarter), as the library would; never
 * a range of a file, whose Content-Range counts the file's own bytes.
 */
const compressible = (req: Request, res: Response) =>
  !req.headers.range &&
  !res.getHeader('Content-Range') &&
  (/^application\/(vnd\.mapbox-vector-tile|x-protobuf|flatgeobuf)/.test(
    String(res.getHeader('Content-Type')),
  ) ||
    compression.filter(req, res))

/** What createApp builds: a request listener for an HTTP server, or for supertest. */
export type App = http.RequestListener

export function createApp(deps: AppDeps): App {
  const { db, config } = deps
  const knex = db.knex
  const logger = deps.logger ?? createLogger(config.LOG_LEVEL)
  const rules = statusRules(config.STALE_AFTER_MINUTES, deps.clock)
  const limits = deps.limits ?? new RateLimits()
  const live = deps.live ?? createLiveHub(db, config, rules, undefined, limits)
  let tileCache: TileCache | undefined
  const metrics = createMetrics({
    knex,
    liveConnections: () => live.connectionCount,
    indexedStations: () => (deps.stations?.ready ? deps.stations.size : undefined),
    indexBytes: () => (deps.stations?.ready ? deps.stations.memory() : undefined),
    tileCache: () => tileCache?.stats(),
  })
  const render = deps.stations ? indexFirst(deps.stations, tileRenderer(knex)) : tileRenderer(knex)
  if (deps.feed && config.TILE_CACHE_MB > 0) {
    tileCache = new TileCache(config.TILE_CACHE_MB * 2 ** 20, render, deps.feed, metrics.tileCache)
  }

  // A configured basemap (and its tiles, usually https) must be reachable from the page.
  const basemapOrigin = basemapOrigins(config)

  const secure = helmet({
    contentSecurityPolicy: {
      directives: {
        // MapLibre builds its workers from blob: URLs and may load a configured basemap.
        'worker-src': ["'self'", 'blob:'],
        'img-src': ["'self'", 'data:', 'blob:', 'https:', ...basemapOrigin],
        'connect-src': ["'self'", 'https:', 'ws:', 'wss:', ...basemapOrigin],
        // Phones on a local network reach the app over plain http; only force https behind TLS.
        'upgrade-insecure-requests': config.COOKIE_SECURE ? [] : null,
      },
    },
  })
  // Request logs are info-level: above that, skip the per-request wrapper altogether.
  const requestLog = logger.isLevelEnabled('info')
    ? pinoHttp({ logger, autoLogging: { ignore: (req) => req.url === '/healthz' } })
    : undefined
  // connect middleware, whatever its types say: it also runs ahead of Express (http/hot.ts)
  const compress = compression({ filter: compressible }) as Middleware
  const cors = apiCors(config)

  const app = express()
  app.disable('x-powered-by')
  app.set('trust proxy', proxyaddr.compile(config.TRUST_PROXY))
  app.use(secure)
  if (requestLog) app.use(requestLog)
  app.use(metrics.middleware)
  app.use(compress)
  app.use(healthRoutes(knex, metrics.registry, config.METRICS_TOKEN, deps.parts))
  app.use(basemapRoutes(config))
  // Before every router under its paths: a preflight is answered here, not by a 405.
  app.use(cors)

  const openapi = apiDocument()
  const coverage = new CoverageAnswers(knex, config)
  const api = express.Router()
  // Public and the most asked for: before the session lookup a signed-in page would cost each.
  api.use(stationReadRoutes(knex, rules, deps.stations))
  api.use(tileRoutes(knex, rules, render, tileCache))
  api.use(authenticate(knex))
  api.use(
    sameOriginWrites(
      config.TRUSTED_ORIGINS,
      (req) => req.user?.credential.kind === 'session' || req.path.startsWith('/auth/'),
    ),
  )
  api.use(importRoutes(knex, config, deps.stations))
  api.use(requireJsonBody)
  api.use(express.json({ limit: '100kb' }))
  api.use(rejectNul)
  api.get('/openapi.json', (_req, res) => {
    res.json(openapi)
  })
  api.use(metaRoutes(knex, config))
  api.use(authRoutes(knex, config, live, limits))
  api.use(stationRoutes(knex, rules, deps.stations))
  api.use(reportRoutes(knex, rules, metrics, deps.feed ?? withoutFeed(live, deps.stations)))
  api.use(downloadRoutes(knex, rules))
  api.use(coverageRoutes(knex, config, coverage))
  api.use(stationRequestRoutes(knex, config, limits))
  api.use(userRoutes(knex, live))
  api.use(auditRoutes(knex))
  api.use(operationsRoutes(knex, rules))
  api.use(placeRoutes(knex, config, (err) => logger.warn({ err }, 'Tianditu place search failed')))
  api.use(methodNotAllowed(api))
  api.use(notFoundHandler)
  app.use('/api/v1', api)
  app.use('/ogc', ogcRoutes(knex, config, rules, coverage))

  if (fs.existsSync(webDist)) {
    // Brotli or gzip files made at build time; hashed assets never change, the page always can.
    app.use(
      expressStaticGzip(webDist, {
        enableBrotli: true,
        orderPreference: ['br', 'gz'],
        serveStatic: { index: 'index.html', setHeaders: cacheHeaders },
      }),
    )
    // The app's pages all load the one page; any other path is a 404 problem.
    app.get(
      PAGES.map((p) => p.path),
      (_req, res) => {
        res.setHeader('Cache-Control', 'no-cache')
        res.sendFile(path.join(webDist, 'index.html'))
      },
    )
  }
  app.use(methodNotAllowed(app.router))
  app.use(notFoundHandler)
  const logError = (err: unknown) => logger.error({ err }, 'request failed')
  app.use(errorHandler(logError))

  // The same middleware in the same order, but none of the routing.
  const hot = [
    ...(deps.stations ? stationHotRoutes('/api/v1', deps.stations, knex, rules) : []),
    tileHotRoute('/api/v1', rules, render, tileCache),
  ]
  return hotFirst(
    hot,
    (label) => [
      secure,
      ...(requestLog ? [requestLog] : []),
      metrics.routeMiddleware(label),
      compress,
      cors,
    ],
    app,
    logError,
  )
}
