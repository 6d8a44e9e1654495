import { beforeAll, expect, it } from 'vitest'
import request from 'supertest'
import type { App } from '../app.ts'
import { describeEachBackend } from '../../../test/db.ts'
import { adminAndManager, stationBody, testApp } from '../../../test/app.ts'

const DAY_MS = 86_400_000

describeEachBackend('API tokens: scopes, expiry, minting', (db) => {
  let app: App
  let admin: string
  let manager: string
  let stationId: number

  beforeAll(async () => {
    app = testApp(db())
    ;({ admin, manager, stationId } = await adminAndManager(app))
  })

  const mint = (cookie: string, body: object) =>
    request(app).post('/api/v1/auth/tokens').set('Cookie', cookie).send(body)
  const bearer = (token: string) => ({ Authorization: `Bearer ${token}` })
  const tokenCount = async () =>
    Number((await db().knex('api_tokens').count<{ n: string }[]>({ n: '*' }))[0]!.n)

  it('only a signed-in session mints tokens: a token cannot mint one that outlives it', async () => {
    const parent = await mint(admin, { name: 'parent', scopes: ['read', 'admin'] })
    expect(parent.status).toBe(201)
    const before = await tokenCount()
    const child = await request(app)
      .post('/api/v1/auth/tokens')
      .set(bearer(parent.body.token))
      .send({ name: 'child' })
    expect(child.status).toBe(403)
    expect(child.headers['content-type']).toMatch(/^application\/problem\+json/)
    expect(await tokenCount()).toBe(before)
    // Revoking the parent leaves it nothing.
    await request(app).delete(`/api/v1/auth/tokens/${parent.body.id}`).set('Cookie', admin)
    expect((await request(app).get('/api/v1/auth/me').set(bearer(parent.body.token))).status).toBe(
      401,
    )
  })

  it('a token does only what its scopes say, by default read', async () => {
    const read = await mint(admin, { name: 'reader' })
    expect(read.status).toBe(201)
    expect(read.body.scopes).toEqual(['read'])
    expect((await request(app).get('/api/v1/auth/me').set(bearer(read.body.token))).status).toBe(
      200,
    )
    expect((await request(app).get('/api/v1/alerts').set(bearer(read.body.token))).status).toBe(200)
    const before = await db().knex('stations').count({ n: '*' })
    const create = await request(app)
      .post('/api/v1/stations')
      .set(bearer(read.body.token))
      .send(stationBody('HN-TOKEN-READ'))
    expect(create.status).toBe(403)
    expect(create.body.detail).toMatch(/scope admin/)
    expect(await db().knex('stations').count({ n: '*' })).toEqual(before)
    const report = await request(app)
      .post(`/api/v1/stations/${stationId}/reports`)
      .set(bearer(read.body.token))
      .set('Idempotency-Key', 'token-read-1')
      .send({ occupancy: 1 })
    expect(report.status).toBe(403)

    const adminToken = await mint(admin, { name: 'ops', scopes: ['admin'] })
    const created = await request(app)
      .post('/api/v1/stations')
      .set(bearer(adminToken.body.token))
      .send(stationBody('HN-TOKEN-ADMIN'))
    expect(created.status).toBe(201)

    const kiosk = await mint(manager, { name: 'kiosk', scopes: ['report'] })
    expect(kiosk.status).toBe(201)
    const reported = await request(app)
      .post(`/api/v1/stations/${stationId}/reports`)
      .set(bearer(kiosk.body.token))
      .set('Idempotency-Key', 'token-report-1')
      .send({ occupancy: 1 })
    expect(reported.status).toBe(201)
    expect(
      (await request(app).get('/api/v1/coverage/summary').set(bearer(kiosk.body.token))).status,
    ).toBe(403)
  })

  it('never grants more than the role: a manager cannot mint plan or admin scopes', async () => {
    const before = await tokenCount()
    for (const scopes of [['plan'], ['admin'], ['read', 'report', 'admin']]) {
      const res = await mint(manager, { name: 'greedy', scopes })
      expect(res.status, JSON.stringify(scopes)).toBe(403)
    }
    for (const scopes of [[], ['read', 'read'], ['root']]) {
      expect((await mint(manager, { name: 'odd', scopes })).status).toBe(400)
    }
    expect(await tokenCount()).toBe(before)
  })

  it('expires: a default and a maximum lifetime, and an expired token is refused', async () => {
    const fresh = await mint(admin, { name: 'default life' })
    const life = new Date(fresh.body.expires_at).getTime() - Date.now()
    expect(Math.abs(life - 90 * DAY_MS)).toBeLessThan(60_000)
    const short = await mint(admin, { name: 'short', expires_in_days: 1 })
    expect(new Date(short.body.expires_at).getTime() - Date.now()).toBeLessThanOrEqual(DAY_MS)
    const before = await tokenCount()
    const tooLong = await mint(admin, { name: 'forever', expires_in_days: 366 })
    expect(tooLong.status).toBe(400)
    expect(tooLong.body.errors[0].path).toBe('expires_in_days')
    expect(await tokenCount()).toBe(before)

    await db()
      .knex('api_tokens')
      .where({ id: short.body.id })
      .update({ expires_at: new Date(Date.now() - 1000) })
    expect((await request(app).get('/api/v1/auth/me').set(bearer(short.body.token))).status).toBe(
      401,
    )
  })
})
