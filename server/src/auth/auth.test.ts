import { beforeAll, expect, it } from 'vitest'
import request from 'supertest'
import type { App } from '../app.ts'
import { describeEachBackend, TEST_PASSWORD } from '../../../test/db.ts'
import { signIn, stationBody, testApp } from '../../../test/app.ts'
import { createApp } from '../app.ts'
import { testConfig } from '../../../test/app.ts'

const newStation = stationBody('HN-AUTH-1')

describeEachBackend('auth', (db) => {
  let app: App

  beforeAll(() => {
    app = testApp(db())
  })

  it('signs in with an HttpOnly SameSite cookie and tells who you are', async () => {
    const res = await request(app)
      .post('/api/v1/auth/login')
      .send({ username: 'manager001', password: TEST_PASSWORD })
    expect(res.status).toBe(200)
    const cookie = res.headers['set-cookie']![0]!
    expect(cookie).toMatch(/^yz_session=/)
    expect(cookie).toMatch(/HttpOnly/i)
    expect(cookie).toMatch(/SameSite=Lax/i)
    const me = await request(app).get('/api/v1/auth/me').set('Cookie', cookie.split(';')[0]!)
    expect(me.status).toBe(200)
    expect(me.body).toMatchObject({ username: 'manager001', role: 'manager' })
    const managed = await db()
      .knex('station_managers as sm')
      .join('users as u', 'u.id', 'sm.user_id')
      .where('u.username', 'manager001')
      .orderBy('station_id')
      .pluck('station_id')
    expect(managed.length).toBeGreaterThan(0)
    expect(me.body.station_ids).toEqual(managed)
    // Only a hash of the session id is stored.
    const sid = cookie.split(';')[0]!.split('=')[1]!
    expect(await db().knex('sessions').where({ id_hash: sid }).first()).toBeUndefined()
  })

  it('wrong password and unknown user → 401, no cookie', async () => {
    for (const body of [
      { username: 'admin', password: 'wrong-password' },
      { username: 'nobody', password: TEST_PASSWORD },
    ]) {
      const res = await request(app).post('/api/v1/auth/login').send(body)
      expect(res.status).toBe(401)
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/)
      expect(res.headers['set-cookie']).toBeUndefined()
    }
  })

  it('missing session → 401; wrong role → 403; nothing written', async () => {
    const [before] = await db().knex('stations').count({ n: '*' })
    expect((await request(app).get('/api/v1/auth/me')).status).toBe(401)
    expect(
      (await request(app).get('/api/v1/auth/me').set('Cookie', 'yz_session=forged')).status,
    ).toBe(401)
    expect((await request(app).post('/api/v1/stations').send(newStation)).status).toBe(401)
    for (const who of ['planner', 'manager001']) {
      const cookie = await signIn(app, who)
      const res = await request(app).post('/api/v1/stations').set('Cookie', cookie).send(newStation)
      expect(res.status).toBe(403)
      expect(
        (await request(app).patch('/api/v1/stations/1').set('Cookie', cookie).send({ capacity: 1 }))
          .status,
      ).toBe(403)
    }
    const [after] = await db().knex('stations').count({ n: '*' })
    expect(after).toEqual(before)
  })

  it('logout ends the session', async () => {
    const cookie = await signIn(app, 'planner')
    expect((await request(app).get('/api/v1/auth/me').set('Cookie', cookie)).status).toBe(200)
    expect((await request(app).post('/api/v1/auth/logout').set('Cookie', cookie)).status).toBe(204)
    expect((await request(app).get('/api/v1/auth/me').set('Cookie', cookie)).status).toBe(401)
  })

  it('API tokens: created once, stored hashed, usable as Bearer, revocable', async () => {
    const cookie = await signIn(app, 'admin')
    const created = await request(app)
      .post('/api/v1/auth/tokens')
      .set('Cookie', cookie)
      .send({ name: 'kiosk' })
    expect(created.status).toBe(201)
    const token = created.body.token as string
    expect(await db().knex('api_tokens').where({ token_hash: token }).first()).toBeUndefined()
    const me = await request(app).get('/api/v1/auth/me').set('Authorization', `Bearer ${token}`)
    expect(me.body.username).toBe('admin')
    const list = await request(app)
      .get('/api/v1/auth/tokens')
      .set('Authorization', `Bearer ${token}`)
    expect(JSON.stringify(list.body)).not.toContain(token)
    expect(
      (await request(app).delete(`/api/v1/auth/tokens/${created.body.id}`).set('Cookie', cookie))
        .status,
    ).toBe(204)
    expect(
      (await request(app).get('/api/v1/auth/me').set('Authorization', `Bearer ${token}`)).status,
    ).toBe(401)
  })

  it('rate-limits failed sign-in attempts, not managers signing in', async () => {
    const limited = createApp({ db: db(), config: testConfig({ LOGIN_RATE_LIMIT: '3' }) })
    for (let i = 1; i <= 5; i++) await signIn(limited, `manager00${i}`)
    const statuses: number[] = []
    for (let i = 0; i < 5; i++) {
      statuses.push(
        (
          await request(limited)
            .post('/api/v1/auth/login')
            .send({ username: 'admin', password: 'nope-nope' })
        ).status,
      )
    }
    expect(statuses).toEqual([401, 401, 401, 429, 429])
  })

  it('backs off one account after repeated failures from anywhere, twice as long each round', async () => {
    const guarded = createApp({
      db: db(),
      config: testConfig({ LOGIN_ACCOUNT_FAILURES: '3', LOGIN_ACCOUNT_BACKOFF_SECONDS: '60' }),
    })
    const attempt = (password: string, from: string) =>
      request(guarded)
        .post('/api/v1/auth/login')
        .set('X-Forwarded-For', from)
        .send({ username: 'planner', password })
    const statuses: number[] = []
    for (let i = 0; i < 3; i++)
      statuses.push((await attempt('wrong-guess', `203.0.113.${i}`)).status)
    // Refused even with the right password while it waits, and told how long.
    const waiting = await attempt(TEST_PASSWORD, '203.0.113.9')
    expect([...statuses, waiting.status]).toEqual([401, 401, 401, 429])
    expect(Number(waiting.headers['retry-after'])).toBeGreaterThan(50)
    expect(Number(waiting.headers['retry-after'])).toBeLessThanOrEqual(60)
    // Other accounts are not affected.
    expect((await signIn(guarded, 'admin')).length).toBeGreaterThan(0)

    const quick = createApp({
      db: db(),
      config: testConfig({ LOGIN_ACCOUNT_FAILURES: '2', LOGIN_ACCOUNT_BACKOFF_SECONDS: '1' }),
    })
    const waitAfterRound = async () => {
      for (let i = 0; i < 2; i++)
        await request(quick).post('/api/v1/auth/login').send({ username: 'planner', password: 'x' })
      const res = await request(quick)
        .post('/api/v1/auth/login')
        .send({ username: 'planner', password: TEST_PASSWORD })
      expect(res.status).toBe(429)
      return Number(res.headers['retry-after'])
    }
    expect(await waitAfterRound()).toBe(1)
    await new Promise((r) => setTimeout(r, 1100))
    expect(await waitAfterRound()).toBe(2)
  })

  it('login validates its body', async () => {
    expect((await request(app).post('/api/v1/auth/login').send({ username: 'admin' })).status).toBe(
      400,
    )
    expect(
      (
        await request(app)
          .post('/api/v1/auth/login')
          .send({ username: 'admin', password: 'x', extra: 1 })
      ).status,
    ).toBe(400)
  })
})
