import fs from 'node:fs'
import { z } from 'zod'
import proxyaddr from 'proxy-addr'

export const BASEMAPS = ['offline', 'tianditu', 'pmtiles', 'osm', 'style'] as const
export type BasemapKind = (typeof BASEMAPS)[number]

/** What each basemap needs besides BASEMAP itself. */
const BASEMAP_NEEDS = {
  tianditu: 'TIANDITU_KEY',
  pmtiles: 'PMTILES_FILE',
  style: 'MAP_STYLE_URL',
} as const

/** A comma-separated list of origins (`https://example.org`), each one checked. */
function originList(s: string, ctx: z.RefinementCtx): string[] {
  const origins = s
    .split(',')
    .map((o) => o.trim())
    .filter(Boolean)
  for (const o of origins) {
    if (!URL.canParse(o) || new URL(o).origin !== o)
      ctx.addIssue({ code: 'custom', message: `${o} is not an origin like https://example.org` })
  }
  return origins
}

/** Busy-hours reads up to 52 weeks back, so a retention keeps at least 13 months. */
const retentionMonths = (fallback: number) =>
  z.coerce
    .number()
    .int()
    .min(0)
    .max(1200)
    .refine((n) => n === 0 || n >= 13, { message: '0 (keep all) or at least 13 months' })
    .default(fallback)

/** Every environment variable the server reads, with its default and meaning. */
export const configSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000).describe('HTTP port to listen on'),
  HOST: z.string().default('0.0.0.0').describe('Interface to bind'),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')
    .optional()
    .describe('PostgreSQL + PostGIS connection URL; unset runs embedded PGlite'),
  DATA_DIR: z.string().default('./data').describe('Where embedded mode keeps its database'),
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, 'must be a redis:// URL')
    .optional()
    .describe('Redis for sharing live updates between several server processes'),
  REDIS_KEY_PREFIX: z
    .string()
    .default('yizhan:')
    .describe(
      'Prefix of the rate-limit counters kept in Redis; one per deployment sharing a Redis',
    ),
  SEED_DEMO_PASSWORD: z
    .string()
    .min(8)
    .optional()
    .describe('Password of all demo accounts created by the seed; unset prints random ones'),
  SEED_STATIONS: z.coerce
    .number()
    .int()
    .min(1)
    .max(1_000_000)
    .default(4076)
    .describe('Stations the embedded first start seeds'),
  STALE_AFTER_MINUTES: z.coerce
    .number()
    .int()
    .min(1)
    .max(7 * 24 * 60)
    .default(120)
    .describe('A live status older than this is stale (availability unknown)'),
  SESSION_TTL_HOURS: z.coerce
    .number()
    .int()
    .min(1)
    .max(24 * 90)
    .default(24 * 14)
    .describe('Lifetime of a sign-in session'),
  NODE_ENV: z
    .enum(['development', 'production', 'test'])
    .default('development')
    .describe('`production` turns on what needs HTTPS (Secure cookie) unless told otherwise'),
  COOKIE_SECURE: z
    .enum(['true', 'false'])
    .optional()
    .describe('Mark the session cookie Secure; default true when NODE_ENV=production'),
  TRUSTED_ORIGINS: z
    .string()
    .default('')
    .transform(originList)
    .describe(
      'Comma-separated origins besides our own whose pages may use the API signed in (cookie writes, CORS with credentials)',
    ),
  CORS_PUBLIC_ORIGINS: z
    .string()
    .default('*')
    .transform((s, ctx) => (s.trim() === '*' ? ('*' as const) : originList(s, ctx)))
    .describe(
      'Origins whose pages may read the public data (stations, tiles, OGC API, downloads) without credentials: `*` any, a comma-separated list those, empty none',
    ),
  TRUST_PROXY: z
    .string()
    .default('loopback')
    .transform((s, ctx) => {
      const list = s
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean)
      try {
        proxyaddr.compile(list)
      } catch (e) {
        ctx.addIssue({ code: 'custom', message: (e as Error).message })
      }
      return list
    })
    .describe(
      'Proxies whose X-Forwarded-For is believed, so limits count the real client: ' +
        '`loopback`, `uniquelocal` (private networks, e.g. Docker), CIDRs, comma-separated',
    ),
  METRICS_TOKEN: z
    .string()
    .min(16)
    .optional()
    .describe('When set, /metrics answers only `Authorization: Bearer <this token>`'),
  LOGIN_RATE_LIMIT: z.coerce
    .number()
    .int()
    .min(1)
    .max(10_000)
    .default(10)
    .describe('Failed sign-in attempts per client address per minute'),
  LOGIN_ACCOUNT_FAILURES: z.coerce
    .number()
    .int()
    .min(1)
    .max(1000)
    .default(5)
    .describe('Failed sign-ins for one username (from anywhere) before it backs off'),
  LOGIN_ACCOUNT_BACKOFF_SECONDS: z.coerce
    .number()
    .int()
    .min(1)
    .max(86_400)
    .default(300)
    .describe('How long a username that hit LOGIN_ACCOUNT_FAILURES must wait; doubles each time'),
  API_TOKEN_TTL_DAYS: z.coerce
    .number()
    .int()
    .min(1)
    .max(3650)
    .default(90)
    .describe('Lifetime of an API token when its creator gives none'),
  API_TOKEN_MAX_TTL_DAYS: z.coerce
    .number()
    .int()
    .min(1)
    .max(3650)
    .default(365)
    .describe('Longest lifetime an API token may be given'),
  LIVE_RECOVERY_SECONDS: z.coerce
    .number()
    .int()
    .min(0)
    .max(3600)
    .default(120)
    .describe(
      'How long a dropped live client may reconnect and get missed events replayed (0: never)',
    ),
  IMPORT_MAX_MB: z.coerce
    .number()
    .int()
    .min(1)
    .max(1024)
    .default(32)
    .describe('Largest file an import accepts, in MiB (50,000 stations as CSV are about 16 MiB)'),
  STATION_BODY_CACHE_MB: z.coerce
    .number()
    .int()
    .min(1)
    .max(4096)
    .default(96)
    .describe(
      "Memory each server process gives the station index's cached JSON of stations and the labels their tiles show, in MiB (100,000 stations take about 83 MiB); answers and tiles that need one not cached read it from the database",
    ),
  STATION_REQUEST_RATE_LIMIT: z.coerce
    .number()
    .int()
    .min(1)
    .max(10_000)
    .default(20)
    .describe('Station requests (anonymous) accepted per client address per hour'),
  LIVE_BATCH_MS: z.coerce
    .number()
    .int()
    .min(10)
    .max(5000)
    .default(200)
    .describe(
      'Window over which a live client following large areas (a wall screen, a wide map) gets one message with what changed in them',
    ),
  LIVE_FINE_BATCH_MS: z.coerce
    .number()
    .int()
    .min(0)
    .max(5000)
    .default(50)
    .describe(
      'Window over which a live client following only small areas (a phone’s view) gets one message with what changed in them',
    ),
  LIVE_MAX_CONNECTIONS_PER_ADDRESS: z.coerce
    .number()
    .int()
    .min(1)
    .max(1_000_000)
    .default(100)
    .describe('Live connections one client address may hold on one server process'),
  LIVE_SUBSCRIBES_PER_MINUTE: z.coerce
    .number()
    .int()
    .min(1)
    .max(1_000_000)
    .default(30)
    .describe('Live subscribes one connection may make per minute'),
  LIVE_SUBSCRIBES_PER_ADDRESS_PER_MINUTE: z.coerce
    .number()
    .int()
    .min(1)
    .max(1_000_000)
    .default(600)
    .describe('Live subscribes all connections from one client address may make per minute'),
  LIVE_SNAPSHOT_CONCURRENCY: z.coerce
    .number()
    .int()
    .min(1)
    .max(200)
    .default(4)
    .describe(
      'Live snapshots read from PostgreSQL at once (the embedded database: one); the rest of the pool stays free',
    ),
  LIVE_SNAPSHOT_MAX_STATIONS: z.coerce
    .number()
    .int()
    .min(1)
    .max(100_000)
    .default(2000)
    .describe(
      'Most stations a live subscribe lists (a city); a larger area is followed without them',
    ),
  LIVE_MAX_BUFFERED_BYTES: z.coerce
    .number()
    .int()
    .min(65_536)
    .max(1 << 30)
    .default(8 << 20)
    .describe('A live client that leaves more than this unread is disconnected'),
  BASEMAP: z
    .enum(BASEMAPS)
    .optional()
    .describe(
      'Basemap under the stations: offline (bundled, no streets), tianditu, pmtiles, osm or style; default style when MAP_STYLE_URL is set, else offline',
    ),
  TIANDITU_KEY: z
    .string()
    .regex(/^[0-9A-Za-z]{16,64}$/, 'must be a Tianditu key (letters and digits)')
    .optional()
    .describe(
      'Tianditu key (console.tianditu.gov.cn): the basemap for BASEMAP=tianditu, and its place search after ours',
    ),
  PMTILES_FILE: z
    .string()
    .regex(/\.pmtiles$/, 'must name a .pmtiles file')
    .optional()
    .describe('A Protomaps basemap extract for BASEMAP=pmtiles, served at /basemap/<file name>'),
  OSM_TILE_URL: z
    .string()
    .default('https://tile.openstreetmap.org/{z}/{x}/{y}.png')
    .refine(
      (u) =>
        URL.canParse(u.replace(/[{}]/g, '')) && ['{z}', '{x}', '{y}'].every((t) => u.includes(t)),
      'must be an http(s) URL with {z}, {x} and {y}',
    )
    .describe("Raster tiles for BASEMAP=osm (mind the tile server's usage policy)"),
  OSM_ATTRIBUTION: z
    .string()
    .default('© OpenStreetMap contributors')
    .describe('Credit shown on the map for BASEMAP=osm tiles'),
  MAP_STYLE_URL: z
    .url({ protocol: /^https?$/ })
    .optional()
    .describe('MapLibre style URL for BASEMAP=style; the offline style replaces it if unreachable'),
  TIANDITU_API_URL: z
    .string()
    .url()
    .default('https://api.tianditu.gov.cn')
    .describe("Tianditu's web services; place search asks <this>/v2/search"),
  TIANDITU_TIMEOUT_MS: z.coerce
    .number()
    .int()
    .min(100)
    .max(10_000)
    .default(1500)
    .describe('How long place search waits for Tianditu before answering with our places alone'),
  LOG_LEVEL: z
    .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
    .default('info')
    .describe('pino log level'),
  TILE_CACHE_MB: z.coerce
    .number()
    .min(0)
    .max(65536)
    .default(64)
    .describe('Memory for encoded station tiles per server process (MiB); 0 turns the cache off'),
  SHUTDOWN_DRAIN_MS: z.coerce
    .number()
    .int()
    .min(0)
    .max(120_000)
    .default(5_000)
    .describe(
      'On SIGTERM, how long the node stays up but not ready (/readyz 503) before it stops taking ' +
        'requests: long enough for the load balancer to notice (HAProxy: inter × fall)',
    ),
  DB_POOL_MAX: z.coerce
    .number()
    .int()
    .min(1)
    .max(200)
    .default(32)
    .describe(
      'Most PostgreSQL connections one server process opens; a burst of reports waits for one',
    ),
  DB_STATEMENT_TIMEOUT_MS: z.coerce
    .number()
    .int()
    .min(100)
    .max(600_000)
    .default(5_000)
    .describe('Statement timeout of ordinary requests (couriers, maps); the client waits 1 s more'),
  COVERAGE_STATEMENT_TIMEOUT_MS: z.coerce
    .number()
    .int()
    .min(100)
    .max(600_000)
    .default(30_000)
    .describe('Statement timeout for one coverage analysis (gaps, suggestions, summary, what-if)'),
  COVERAGE_MAX_CONCURRENT: z.coerce
    .number()
    .int()
    .min(1)
    .max(100)
    .default(2)
    .describe('Coverage analyses one server process runs at once, below DB_POOL_MAX; more wait'),
  COVERAGE_QUEUE_PER_USER: z.coerce
    .number()
    .int()
    .min(0)
    .max(100)
    .default(2)
    .describe("A user's analyses that may wait behind their running one; more are refused (429)"),
  HISTORY_RETENTION_MONTHS: retentionMonths(24).describe(
    'Months of status reports kept, whole months dropped after (0 keeps all; at least 13)',
  ),
  HOURLY_RETENTION_MONTHS: retentionMonths(60).describe(
    'Months of hourly occupancy rollups (busy hours) kept (0 keeps all; at least 13)',
  ),
})

export type Config = Omit<z.output<typeof configSchema>, 'COOKIE_SECURE' | 'BASEMAP'> & {
  COOKIE_SECURE: boolean
  BASEMAP: BasemapKind
}

export class ConfigError extends Error {}

/** Set but empty means none of it, not the default: `CORS_PUBLIC_ORIGINS=` turns public CORS off. */
const EMPTY_IS_A_VALUE = new Set(['CORS_PUBLIC_ORIGINS'])

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = configSchema.safeParse(
    Object.fromEntries(Object.entries(env).filter(([k, v]) => v !== '' || EMPTY_IS_A_VALUE.has(k))),
  )
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`)
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`)
  }
  const { COOKIE_SECURE, BASEMAP, ...rest } = parsed.data
  const basemap = BASEMAP ?? (rest.MAP_STYLE_URL ? 'style' : 'offline')
  const problem = basemapProblem(basemap, rest)
  if (problem) throw new ConfigError(`Invalid configuration:\n  BASEMAP: ${problem}`)
  // Analyses share the pool with couriers: some connections must stay free for them.
  if (rest.COVERAGE_MAX_CONCURRENT >= rest.DB_POOL_MAX)
    throw new ConfigError(
      'Invalid configuration:\n  COVERAGE_MAX_CONCURRENT: must be below DB_POOL_MAX',
    )
  return {
    ...rest,
    BASEMAP: basemap,
    COOKIE_SECURE: COOKIE_SECURE ? COOKIE_SECURE === 'true' : rest.NODE_ENV === 'production',
  }
}

function basemapProblem(
  basemap: BasemapKind,
  c: Partial<Record<(typeof BASEMAP_NEEDS)[keyof typeof BASEMAP_NEEDS], string>>,
): string | null {
  if (basemap === 'offline' || basemap === 'osm') return null
  const needed = BASEMAP_NEEDS[basemap]
  const value = c[needed]
  if (!value) return `${basemap} needs ${needed}`
  if (basemap === 'pmtiles') {
    try {
      if (!fs.statSync(value).isFile()) return `PMTILES_FILE ${value} is not a file`
    } catch {
      return `PMTILES_FILE ${value} cannot be read`
    }
  }
  return null
}
