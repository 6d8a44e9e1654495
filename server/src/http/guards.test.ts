import crypto from 'node:crypto'
import { Writable } from 'node:stream'
import { beforeAll, describe, expect, it } from 'vitest'
import request from 'supertest'
import type { App } from '../app.ts'
import { describeEachBackend, TEST_PASSWORD } from '../../../test/db.ts'
import { adminAndManager, signIn, stationBody, testApp, testConfig } from '../../../test/app.ts'
import { loadConfig } from '../config.ts'
import { createLogger } from '../logger.ts'

const NUL = 'a\u0000b'
const newStation = stationBody('HN-GUARD-1')

/** Rows every write of these tests could touch: unchanged after a refused request. */
async function footprint(knex: import('knex').Knex) {
  const counts = await Promise.all(
    ['stations', 'station_requests', 'status_reports', 'api_tokens', 'sessions'].map((t) =>
      knex(t).count<{ n: string }[]>({ n: '*' }),
    ),
  )
  const latest = await knex('stations').max({ t: 'updated_at' }).first()
  return { counts: counts.map((c) => Number(c[0]!.n)), updated: String(latest?.t) }
}

function expectProblem(res: request.Response, status: number, title?: string) {
  expect(res.status, JSON.stringify(res.body)).toBe(status)
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/)
  expect(res.body.status).toBe(status)
  // The path and query that was asked (superagent keeps the request it sent).
  expect(res.body.instance).toBe((res as unknown as { req: { path: string } }).req.path)
  if (title) expect(res.body.title).toBe(title)
}

describeEachBackend('hostile input', (db) => {
  let app: App
  let admin: string
  let manager: string
  let stationId: number

  beforeAll(async () => {
    app = testApp(db())
    ;({ admin, manager, stationId } = await adminAndManager(app))
  })

  // Every text field a client can send, each with a NUL character in it.
  const nulCases: [string, string, () => request.Test][] = [
    [
      'login username',
      'username',
      () =>
        request(app).post('/api/v1/auth/login').send({ username: NUL, password: TEST_PASSWORD }),
    ],
    [
      'login password',
      'password',
      () => request(app).post('/api/v1/auth/login').send({ username: 'admin', password: NUL }),
    ],
    [
      'station request note',
      'note',
      () =>
        request(app)
          .post('/api/v1/station-requests')
          .send({ location: { lon: 112.9, lat: 28.2 }, note: NUL }),
    ],
    [
      'report note',
      'note',
      () =>
        request(app)
          .post(`/api/v1/stations/${stationId}/reports`)
          .set('Cookie', manager)
          .set('Idempotency-Key', crypto.randomUUID())
          .send({ occupancy: 1, note: NUL }),
    ],
    [
      'report supply name',
      'supplies.a\u0000b',
      () =>
        request(app)
          .post(`/api/v1/stations/${stationId}/reports`)
          .set('Cookie', manager)
          .set('Idempotency-Key', crypto.randomUUID())
          .send({ occupancy: 1, supplies: { [NUL]: 5 } }),
    ],
    [
      'token name',
      'name',
      () => request(app).post('/api/v1/auth/tokens').set('Cookie', admin).send({ name: NUL }),
    ],
    ...[
      'code',
      'name',
      'address',
      'city',
      'district',
      'operator',
      'phone',
      'opening_hours',
      'timezone',
    ].flatMap((field): [string, string, () => request.Test][] => [
      [
        `new station ${field}`,
        field,
        () =>
          request(app)
            .post('/api/v1/stations')
            .set('Cookie', admin)
            .send({ ...newStation, [field]: NUL }),
      ],
      [
        `station edit ${field}`,
        field,
        () =>
          request(app)
            .patch(`/api/v1/stations/${stationId}`)
            .set('Cookie', admin)
            .send({ [field]: NUL }),
      ],
    ]),
    [
      'amenities item',
      'amenities.0',
      () =>
        request(app)
          .post('/api/v1/stations')
          .set('Cookie', admin)
          .send({ ...newStation, amenities: [NUL] }),
    ],
    [
      'query parameter',
      'amenities',
      () =>
        request(app)
          .get('/api/v1/stations/nearest')
          .query({ lat: 28.2, lon: 112.9, amenities: NUL }),
    ],
  ]

  it.each(nulCases.map(([name, field, send]) => ({ name, field, send })))(
    'a NUL character in $name is a 400 naming $field, nothing written',
    async ({ field, send }) => {
      const before = await footprint(db().knex)
      const res = await send()
      expectProblem(res, 400, 'Bad Request')
      expect(res.body.errors.map((e: { path: string }) => e.path)).toContain(field)
      expect(await footprint(db().knex)).toEqual(before)
    },
  )

  it('an overlong opening_hours or time zone is refused before it is parsed: a few ms of CPU', async () => {
    // A new string each time: a parsed one is cached, and the cost is in the first parse.
    const huge = () => `Mo-Su 08:00-20:00; `.repeat(5200) + crypto.randomUUID()
    const sends = [
      [
        'opening_hours',
        () =>
          request(app)
            .post('/api/v1/stations')
            .set('Cookie', admin)
            .send({ ...newStation, opening_hours: huge() }),
      ],
      [
        'opening_hours',
        () =>
          request(app)
            .patch(`/api/v1/stations/${stationId}`)
            .set('Cookie', admin)
            .send({ opening_hours: huge() }),
      ],
      [
        'timezone',
        () =>
          request(app)
            .post('/api/v1/stations')
            .set('Cookie', admin)
            .send({ ...newStation, timezone: 'Asia/'.repeat(19_000) }),
      ],
    ] as const
    for (const [field, send] of sends) {
      const before = await footprint(db().knex)
      const cpu = process.cpuUsage()
      const res = await send()
      const { user, system } = process.cpuUsage(cpu)
      expectProblem(res, 400)
      expect(res.body.errors.map((e: { path: string }) => e.path)).toEqual([field])
      // The whole request, JSON parsing of ~100 kB included.
      expect((user + system) / 1000, field).toBeLessThan(500)
      expect(await footprint(db().knex)).toEqual(before)
    }
  })

  const HUNAN = '108.7,24.6,114.3,30.2'
  const cursorPages = [
    ['stations', () => `/api/v1/stations?bbox=${HUNAN}`, '2147483648', '2147483647'],
    [
      'station requests',
      () => `/api/v1/station-requests?bbox=${HUNAN}`,
      '2147483648',
      '2147483647',
    ],
    [
      'report history',
      () => `/api/v1/stations/${stationId}/reports?limit=5`,
      '9223372036854775807',
      String(Number.MAX_SAFE_INTEGER),
    ],
  ] as const
  it.each(cursorPages.map(([name, path, tooFar, last]) => ({ name, path, tooFar, last })))(
    'a $name cursor past its id range is a 400 naming cursor; the largest one is an empty page',
    async ({ path, tooFar, last }) => {
      for (const cursor of [tooFar, '99999999999999999999', '-1', '1e3']) {
        const res = await request(app).get(`${path()}&cursor=${cursor}`).set('Cookie', admin)
        expectProblem(res, 400, 'Bad Request')
        expect(res.body.errors.map((e: { path: string }) => e.path)).toEqual(['cursor'])
      }
      const res = await request(app).get(`${path()}&cursor=${last}`).set('Cookie', admin)
      expect(res.status, JSON.stringify(res.body)).toBe(200)
    },
  )

  it('a body that is not JSON is 415; one over the limit is 413; each with its own title', async () => {
    const before = await footprint(db().knex)
    const plain = await request(app)
      .post('/api/v1/auth/login')
      .set('Content-Type', 'text/plain')
      .send('username=admin&password=x')
    expectProblem(plain, 415, 'Unsupported Media Type')
    const form = await request(app)
      .post('/api/v1/station-requests')
      .type('form')
      .send({ note: 'x' })
    expectProblem(form, 415, 'Unsupported Media Type')
    const huge = await request(app)
      .post('/api/v1/station-requests')
      .set('Content-Type', 'application/json')
      .send(JSON.stringify({ location: { lon: 112.9, lat: 28.2 }, note: 'x'.repeat(200_000) }))
    expectProblem(huge, 413, 'Payload Too Large')
    expect(await footprint(db().knex)).toEqual(before)
  })

  it('a wrong method is 405 with Allow, an unknown path still 404', async () => {
    const cases: [string, string, RegExp][] = [
      ['delete', '/api/v1/stations/nearest', /\bGET\b/],
      ['put', '/api/v1/auth/login', /^POST$/],
      ['post', `/api/v1/stations/${stationId}/busy-hours`, /\bGET\b/],
      ['post', '/healthz', /\bGET\b/],
    ]
    for (const [method, path, allow] of cases) {
      const res = await (request(app) as unknown as Record<string, (p: string) => request.Test>)[
        method
      ]!(path).set('Cookie', admin)
      expectProblem(res, 405, 'Method Not Allowed')
      expect(res.headers.allow, `${method} ${path}`).toMatch(allow)
    }
    expectProblem(await request(app).get('/api/v1/no-such-thing'), 404)
  })

  it('signed-in writes from another origin are refused; our own and trusted origins pass', async () => {
    const trusting = testApp(db(), {
      config: testConfig({ TRUSTED_ORIGINS: 'https://ops.union.example' }),
    })
    const cookie = await signIn(trusting, 'admin')
    const before = await footprint(db().knex)
    for (const from of [{ Origin: 'https://evil.example' }, { 'Sec-Fetch-Site': 'cross-site' }]) {
      const res = await request(trusting)
        .post('/api/v1/auth/tokens')
        .set('Cookie', cookie)
        .set(from)
        .send({ name: 'csrf' })
      expectProblem(res, 403)
    }
    const login = await request(trusting)
      .post('/api/v1/auth/login')
      .set('Origin', 'https://evil.example')
      .send({ username: 'admin', password: TEST_PASSWORD })
    expectProblem(login, 403)
    expect(await footprint(db().knex)).toEqual(before)

    const own = await request(trusting)
      .post('/api/v1/auth/tokens')
      .set('Cookie', cookie)
      .set('Host', 'yizhan.example')
      .set('Origin', 'http://yizhan.example')
      .set('Sec-Fetch-Site', 'same-origin')
      .send({ name: 'same origin' })
    expect(own.status).toBe(201)
    const trusted = await request(trusting)
      .delete(`/api/v1/auth/tokens/${own.body.id}`)
      .set('Cookie', cookie)
      .set('Origin', 'https://ops.union.example')
    expect(trusted.status).toBe(204)
    // Anonymous requests carry no cookie to abuse.
    const anonymous = await request(trusting)
      .post('/api/v1/station-requests')
      .set('Origin', 'https://other.example')
      .send({ location: { lon: 112.9, lat: 28.2 } })
    expect(anonymous.status).toBe(201)
  })

  it('the session cookie is Secure in production, unless turned off for plain HTTP', async () => {
    const cookieOf = async (env: Record<string, string>) =>
      (
        await request(testApp(db(), { config: testConfig(env) }))
          .post('/api/v1/auth/login')
          .send({ username: 'planner', password: TEST_PASSWORD })
      ).headers['set-cookie']![0]!
    expect(await cookieOf({ NODE_ENV: 'production' })).toMatch(/;\s*Secure/i)
    expect(await cookieOf({ NODE_ENV: 'production', COOKIE_SECURE: 'false' })).not.toMatch(
      /Secure/i,
    )
    expect(await cookieOf({})).not.toMatch(/Secure/i)
  })

  it('/metrics answers only the metrics token when one is set', async () => {
    const token = crypto.randomBytes(24).toString('hex')
    const guarded = testApp(db(), { config: testConfig({ METRICS_TOKEN: token }) })
    expectProblem(await request(guarded).get('/metrics'), 401)
    expectProblem(
      await request(guarded).get('/metrics').set('Authorization', `Bearer ${token}x`),
      401,
    )
    const ok = await request(guarded).get('/metrics').set('Authorization', `Bearer ${token}`)
    expect(ok.status).toBe(200)
    expect(ok.text).toContain('http_request')
    expect((await request(app).get('/metrics')).status).toBe(200)
  })

  it('request logs never carry cookies, tokens or new session ids', async () => {
    const lines: string[] = []
    const sink = new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk))
        done()
      },
    })
    const logged = testApp(db(), {
      config: testConfig({ LOG_LEVEL: 'info' }),
      logger: createLogger('info', sink),
    })
    const login = await request(logged)
      .post('/api/v1/auth/login')
      .send({ username: 'admin', password: TEST_PASSWORD })
    const cookie = login.headers['set-cookie']![0]!.split(';')[0]!
    const secret = cookie.split('=')[1]!
    const token = await request(logged)
      .post('/api/v1/auth/tokens')
      .set('Cookie', cookie)
      .send({ name: 'log' })
    await request(logged).get('/api/v1/auth/me').set('Authorization', `Bearer ${token.body.token}`)
    await request(logged).get('/api/v1/auth/me').set('Cookie', cookie)
    const log = lines.join('')
    expect(lines.length).toBeGreaterThanOrEqual(4)
    expect(log).toContain('[redacted]')
    for (const s of [secret, token.body.token, TEST_PASSWORD]) expect(log).not.toContain(s)
  })
})

describe('session cookie', () => {
  it('is Secure in production unless turned off, and not otherwise', () => {
    expect(loadConfig({ NODE_ENV: 'production' }).COOKIE_SECURE).toBe(true)
    expect(loadConfig({ NODE_ENV: 'production', COOKIE_SECURE: 'false' }).COOKIE_SECURE).toBe(false)
    expect(loadConfig({ NODE_ENV: 'development' }).COOKIE_SECURE).toBe(false)
    expect(loadConfig({ COOKIE_SECURE: 'true' }).COOKIE_SECURE).toBe(true)
  })
})
