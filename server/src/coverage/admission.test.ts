import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import request from 'supertest'
import type { App } from '../app.ts'
import type { Knex } from 'knex'
import { describeEachBackend } from '../../../test/db.ts'
import { signIn, testApp, testConfig } from '../../../test/app.ts'
import { openDatabase, type Database } from '../db/knex.ts'
import { HttpError } from '../errors.ts'
import { Analyses } from './admission.ts'

const CHANGSHA = '112.85,28.1,113.05,28.3'

/** A computation the test finishes when it wants to. */
function pending() {
  let finish!: (body: string) => void
  const started = { value: false }
  const compute = () => {
    started.value = true
    return new Promise<string>((resolve) => (finish = resolve))
  }
  return { compute, started, finish: (body = 'answer') => finish(body) }
}

/** Lets whatever may start start (p-limit starts its work a few ticks later). */
const settle = () => new Promise((r) => setTimeout(r, 10))

describe('Analyses', () => {
  it('runs one analysis per user with a few waiting, and refuses more with a 429', async () => {
    const analyses = new Analyses(4, 1)
    const first = pending()
    const second = pending()
    const a = analyses.answer('a', 1, first.compute)
    const b = analyses.answer('b', 1, second.compute)
    let refused: unknown
    try {
      analyses.answer('c', 1, pending().compute)
    } catch (e) {
      refused = e
    }
    expect(refused).toBeInstanceOf(HttpError)
    expect((refused as HttpError).status).toBe(429)
    expect((refused as HttpError).headers?.['Retry-After']).toMatch(/^\d+$/)
    // Another user is not held up by it.
    const other = pending()
    analyses.answer('d', 2, other.compute)
    await settle()
    expect([first.started.value, second.started.value, other.started.value]).toEqual([
      true,
      false,
      true,
    ])
    first.finish()
    await a.body
    await expect.poll(() => second.started.value).toBe(true)
    second.finish()
    other.finish()
    await b.body
    // With nothing left running, the user may ask again.
    expect(() => analyses.answer('e', 1, () => Promise.resolve('e'))).not.toThrow()
  })

  it('runs at most maxConcurrent at once in the process', async () => {
    const analyses = new Analyses(2, 2)
    const runs = [pending(), pending(), pending()]
    const answers = runs.map((r, user) => analyses.answer(`k${user}`, user, r.compute))
    await settle()
    expect(runs.map((r) => r.started.value)).toEqual([true, true, false])
    runs[1]!.finish()
    await expect.poll(() => runs[2]!.started.value).toBe(true)
    runs[0]!.finish()
    runs[2]!.finish()
    await Promise.all(answers.map((a) => a.body))
  })

  it('computes a question asked again while it is being answered once', async () => {
    const analyses = new Analyses(2, 0)
    const run = pending()
    const first = analyses.answer('same', 1, run.compute)
    // Joining takes no admission: the same user (whose queue is full) and others share it.
    const again = analyses.answer('same', 1, () => Promise.reject(new Error('computed twice')))
    const other = analyses.answer('same', 2, () => Promise.reject(new Error('computed twice')))
    expect([first.joined, again.joined, other.joined]).toEqual([false, true, true])
    await settle()
    run.finish('42')
    expect(await Promise.all([first.body, again.body, other.body])).toEqual(['42', '42', '42'])
    const later = analyses.answer('same', 1, () => Promise.resolve('43'))
    expect(later.joined).toBe(false)
    expect(await later.body).toBe('43')
  })
})

/** Counts the analyses the database is asked to run (each sets its own statement timeout). */
function countAnalyses(knex: Knex) {
  const counter = { n: 0 }
  knex.on('query', (q: { sql: string }) => {
    if (q.sql.includes("set_config('statement_timeout'")) counter.n++
  })
  return counter
}

describeEachBackend('coverage analyses admitted per node and per user', (db, backend) => {
  let app: App
  let planner: string

  beforeAll(async () => {
    app = testApp(db())
    planner = await signIn(app, 'planner')
  })

  it('identical analyses asked at once run the SQL once', async () => {
    const analyses = countAnalyses(db().knex)
    const ask = () =>
      request(app)
        .get('/api/v1/coverage/gaps')
        .query({ bbox: CHANGSHA, radius_m: 1234.5 })
        .set('Cookie', planner)
    const answers = await Promise.all(Array.from({ length: 6 }, ask))
    expect(answers.map((r) => r.status)).toEqual(Array(6).fill(200))
    expect(answers.filter((r) => r.headers['x-cache'] === 'miss')).toHaveLength(1)
    expect(new Set(answers.map((r) => r.text)).size).toBe(1)
    expect(analyses.n).toBe(1)
  })

  describe.skipIf(backend === 'pglite')('with the analysis slots full', () => {
    // The embedded database runs one query at a time: nothing overtakes there, by design.
    let small: Database
    let smallApp: App
    let admin: string
    let locker: Knex.Transaction

    beforeAll(async () => {
      const { connectionString } = db().knex.client.config.connection as {
        connectionString: string
      }
      // One analysis at a time (two users ask), in a pool of three connections.
      small = await openDatabase({ databaseUrl: connectionString, dataDir: '', poolMax: 3 })
      smallApp = testApp(small, {
        config: testConfig({ DB_POOL_MAX: '3', COVERAGE_MAX_CONCURRENT: '1' }),
      })
      admin = await signIn(smallApp, 'admin')
      locker = await db().knex.transaction()
    })
    afterAll(async () => {
      if (!locker.isCompleted()) await locker.rollback()
      await small.close()
    })

    it('a nearest query is answered before them, and a user past the queue gets a 429', async () => {
      // Analyses read demand_points; holding its lock keeps them running until released.
      await locker.raw('LOCK TABLE demand_points IN ACCESS EXCLUSIVE MODE')
      const gaps = (cookie: string, radius: number) =>
        request(smallApp)
          .get('/api/v1/coverage/gaps')
          .query({ bbox: CHANGSHA, radius_m: radius })
          .set('Cookie', cookie)
      const order: string[] = []
      const analyses = [planner, admin].flatMap((cookie, u) =>
        [0, 1, 2].map((i) =>
          gaps(cookie, 900 + u + i / 10).then((r) => {
            order.push('analysis')
            return r
          }),
        ),
      )
      // The slot taken: one analysis waits for the lock, the rest for the slot.
      const waiting = async () => {
        const { rows } = await db().knex.raw(
          `SELECT count(*)::int AS n FROM pg_stat_activity
           WHERE datname = current_database() AND wait_event_type = 'Lock'`,
        )
        return rows[0].n as number
      }
      await expect.poll(waiting, { timeout: 10_000 }).toBe(1)

      const refused = await gaps(planner, 999)
      expect(refused.status).toBe(429)
      expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/)
      expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0)

      const nearest = await request(smallApp)
        .get('/api/v1/stations/nearest')
        .query({ lon: 112.95, lat: 28.2 })
      order.push('nearest')
      expect(nearest.status).toBe(200)
      expect(nearest.body.results.length).toBeGreaterThan(0)
      expect(await waiting()).toBe(1)

      await locker.rollback()
      const answered = await Promise.all(analyses)
      expect(answered.map((r) => r.status)).toEqual(Array(6).fill(200))
      expect(order[0]).toBe('nearest')
    })
  })
})
