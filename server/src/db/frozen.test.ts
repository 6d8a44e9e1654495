import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import request from 'supertest'
import type { App } from '../app.ts'
import { testApp, testConfig } from '../../../test/app.ts'
import { TEST_PASSWORD } from '../../../test/templates.ts'
import { findPostgres, startPostgres, type PgInstance } from '../../../test/pgInstance.ts'
import { seedDatabase } from '../../../seed/seed.ts'
import { StationIndex } from '../stations/stationIndex.ts'
import { clientTimeoutMs, openDatabase, type Database } from './knex.ts'
import { migrateLatest } from './migrate.ts'

const { missing } = findPostgres()
const STATEMENT_TIMEOUT_MS = 1000
const ACQUIRE_TIMEOUT_MS = 2000
// Waiting for a connection, then for the database to answer on it.
const BOUND_MS = ACQUIRE_TIMEOUT_MS + clientTimeoutMs(STATEMENT_TIMEOUT_MS)

describe.skipIf(missing)('a PostgreSQL that freezes (SIGSTOP) or restarts', () => {
  let server: PgInstance
  let db: Database
  let app: App
  /** The same app answering nearest from a station index that must read every station's fields. */
  let indexed: App

  beforeAll(async () => {
    server = await startPostgres()
    const setup = await openDatabase({ databaseUrl: server.url, dataDir: '' })
    try {
      await migrateLatest(setup.knex)
      await seedDatabase(setup.knex, {
        seed: 'yizhan',
        stations: 200,
        demandPoints: 100,
        demoPassword: TEST_PASSWORD,
      })
    } finally {
      await setup.close()
    }
    db = await openDatabase({
      databaseUrl: server.url,
      dataDir: '',
      statementTimeoutMs: STATEMENT_TIMEOUT_MS,
      acquireTimeoutMs: ACQUIRE_TIMEOUT_MS,
      poolMax: 4,
    })
    const config = testConfig({ DB_STATEMENT_TIMEOUT_MS: String(STATEMENT_TIMEOUT_MS) })
    app = testApp(db, { config })
    const stations = new StationIndex(db.knex, undefined, { bodyCacheBytes: 1 })
    await stations.load()
    indexed = testApp(db, { config, stations })
  }, 120_000)
  afterAll(async () => {
    await db?.close()
    await server?.stop()
  })

  const nearest = (to = app) =>
    request(to).get('/api/v1/stations/nearest').query({ lon: 112.95, lat: 28.2 })

  it('answers 503 with Retry-After within the bound, and serves again once it thaws', async () => {
    // Warm: the pool holds open connections, the ones a frozen server leaves unanswered.
    const warm = await Promise.all(Array.from({ length: 4 }, nearest))
    expect(warm.map((r) => r.status)).toEqual([200, 200, 200, 200])

    server.freeze()
    try {
      // More requests than connections: some wait for one, then for the database.
      const started = Date.now()
      const frozen = await Promise.all(
        [app, app, app, indexed, indexed, indexed].map((to) =>
          nearest(to).then((r) => ({ r, ms: Date.now() - started })),
        ),
      )
      for (const { r, ms } of frozen) {
        expect(r.status).toBe(503)
        expect(r.headers['content-type']).toMatch(/^application\/problem\+json/)
        expect(Number(r.headers['retry-after'])).toBeGreaterThan(0)
        expect(ms).toBeLessThan(BOUND_MS + 1000)
      }
    } finally {
      server.thaw()
    }
    await expect
      .poll(async () => (await nearest()).status, { timeout: 10_000, interval: 200 })
      .toBe(200)
    const after = await Promise.all([app, app, app, indexed, indexed, indexed].map(nearest))
    expect(after.map((r) => r.status)).toEqual(Array(6).fill(200))
  }, 60_000)

  it('serves again after a restart, on fresh connections', async () => {
    const before = server.pids[0]
    await server.restart()
    expect(server.pids[0]).not.toBe(before)
    await expect
      .poll(async () => (await nearest()).status, { timeout: 10_000, interval: 200 })
      .toBe(200)
  }, 60_000)
})
