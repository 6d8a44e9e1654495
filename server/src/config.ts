import { z } from 'zod'

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
  COOKIE_SECURE: z
    .enum(['true', 'false'])
    .default('false')
    .transform((v) => v === 'true')
    .describe('Mark the session cookie Secure (set behind HTTPS)'),
  LOGIN_RATE_LIMIT: z.coerce
    .number()
    .int()
    .min(1)
    .max(10_000)
    .default(10)
    .describe('Failed sign-in attempts per client address per minute'),
  LIVE_RECOVERY_SECONDS: z.coerce
    .number()
    .int()
    .min(0)
    .max(3600)
    .default(120)
    .describe(
      'How long a dropped live client may reconnect and get missed events replayed (0: never)',
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
    .describe('Window over which large live subscriptions get one batched message'),
  MAP_STYLE_URL: z
    .string()
    .url()
    .optional()
    .describe('MapLibre basemap style URL; unset uses the bundled offline style'),
  LOG_LEVEL: z
    .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
    .default('info')
    .describe('pino log level'),
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
    .default(15_000)
    .describe('Statement timeout for PostgreSQL connections'),
  COVERAGE_STATEMENT_TIMEOUT_MS: z.coerce
    .number()
    .int()
    .min(100)
    .max(600_000)
    .default(10_000)
    .describe('Statement timeout for one coverage analysis (gaps, suggestions, summary, what-if)'),
})

export type Config = z.infer<typeof configSchema>

export class ConfigError extends Error {}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = configSchema.safeParse(
    Object.fromEntries(Object.entries(env).filter(([, v]) => v !== '')),
  )
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`)
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`)
  }
  return parsed.data
}
