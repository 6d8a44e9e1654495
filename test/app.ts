import request from 'supertest'
import { loadConfig, type Config } from '../server/src/config.ts'
import { createApp, type App, type AppDeps } from '../server/src/app.ts'
import type { Database } from '../server/src/db/knex.ts'
import { TEST_PASSWORD } from './templates.ts'

export function testConfig(overrides: Record<string, string> = {}): Config {
  return loadConfig({ LOG_LEVEL: 'silent', LOGIN_RATE_LIMIT: '1000', ...overrides })
}

export function testApp(db: Database, deps: Partial<AppDeps> = {}) {
  return createApp({ db, config: testConfig(), ...deps })
}

/** Signs in as a seeded demo account and returns its session cookie. */
export async function signIn(
  app: App,
  username: string,
  password = TEST_PASSWORD,
): Promise<string> {
  const res = await request(app).post('/api/v1/auth/login').send({ username, password })
  if (res.status !== 200)
    throw new Error(`sign-in as ${username} failed: ${res.status} ${JSON.stringify(res.body)}`)
  const cookie = res.headers['set-cookie']?.[0]
  if (!cookie) throw new Error('no session cookie')
  return cookie.split(';')[0]!
}

/** The smallest valid body of POST /api/v1/stations, in Changsha. */
export const stationBody = (code: string) => ({
  code,
  name: '测试驿站',
  location: { lon: 112.9, lat: 28.2 },
  capacity: 4,
})

/** The admin's and manager001's session cookies, and a station manager001 manages. */
export async function adminAndManager(app: App) {
  const admin = await signIn(app, 'admin')
  const manager = await signIn(app, 'manager001')
  const me = await request(app).get('/api/v1/auth/me').set('Cookie', manager)
  return { admin, manager, stationId: me.body.station_ids[0] as number }
}

/** The moment the seed's live statuses were written: tests pin their clock near it. */
export async function seedTime(db: Database): Promise<Date> {
  const row = await db.knex('station_status').max({ t: 'reported_at' }).first()
  return new Date(row!.t as Date)
}

const HALF_HOUR_MS = 30 * 60_000

/**
 * Waits, if need be, until the next half hour is at least `ms` away. The seed's opening hours
 * change on the hour or half hour (China's zone keeps them there in UTC too), so a test that
 * compares answers taken on the real clock moments apart does not see stations open or close
 * between them.
 */
export async function clearOfOpeningChanges(ms: number) {
  const left = HALF_HOUR_MS - (Date.now() % HALF_HOUR_MS)
  if (left < ms) await new Promise((r) => setTimeout(r, left + 1000))
}
