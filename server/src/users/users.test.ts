import { beforeAll, expect, it } from 'vitest'
import request from 'supertest'
import type { App } from '../app.ts'
import { describeEachBackend } from '../../../test/db.ts'
import { signIn, stationBody, testApp } from '../../../test/app.ts'
import { startServer } from '../../../test/server.ts'
import { liveClient } from '../../../test/liveClient.ts'

interface Place {
  id: number
  code: string
  lon: number
  lat: number
}

describeEachBackend('accounts by region, and the audit log', (db) => {
  let app: App
  let admin: string
  let cityAdmin: string
  let cityAdminId: number
  let changsha: Place[]
  let zhuzhou: Place

  const stationsIn = (city: string) =>
    db()
      .knex('stations')
      .select(
        'id',
        'code',
        db().knex.raw('ST_X(location::geometry) AS lon'),
        db().knex.raw('ST_Y(location::geometry) AS lat'),
      )
      .where({ city, state: 'active' })
      .orderBy('id')
      .limit(3) as Promise<Place[]>
  const counts = async () => ({
    users: Number((await db().knex('users').count({ n: '*' }))[0]!.n),
    stations: Number((await db().knex('stations').count({ n: '*' }))[0]!.n),
    managers: Number((await db().knex('station_managers').count({ n: '*' }))[0]!.n),
    audit: Number((await db().knex('audit_log').count({ n: '*' }))[0]!.n),
  })
  const as = (cookie: string) => ({
    get: (url: string) => request(app).get(url).set('Cookie', cookie),
    post: (url: string, body?: object) => request(app).post(url).set('Cookie', cookie).send(body),
    patch: (url: string, body: object) => request(app).patch(url).set('Cookie', cookie).send(body),
    put: (url: string) => request(app).put(url).set('Cookie', cookie),
  })

  beforeAll(async () => {
    app = testApp(db())
    admin = await signIn(app, 'admin')
    changsha = await stationsIn('长沙市')
    zhuzhou = (await stationsIn('株洲市'))[0]!
    const created = await as(admin).post('/api/v1/users', {
      username: 'cs-admin',
      role: 'admin',
      region: { city: '长沙市' },
    })
    expect(created.status).toBe(201)
    expect(created.body.password).toMatch(/^[A-Za-z2-9]{16}$/)
    cityAdminId = created.body.id
    cityAdmin = await signIn(app, 'cs-admin', created.body.password)
  })

  it('a city admin is 403 outside the city, with no row changed', async () => {
    const before = await counts()
    const outside: [string, () => request.Test][] = [
      [
        'station named in another city',
        () => as(cityAdmin).post('/api/v1/stations', { ...stationBody('CS-X-1'), city: '株洲市' }),
      ],
      [
        'station named in the city but placed in another',
        () =>
          as(cityAdmin).post('/api/v1/stations', {
            ...stationBody('CS-X-2'),
            city: '长沙市',
            location: { lon: zhuzhou.lon + 0.0005, lat: zhuzhou.lat },
          }),
      ],
      [
        'edit a station in another city',
        () => as(cityAdmin).patch(`/api/v1/stations/${zhuzhou.id}`, { name: '改名' }),
      ],
      [
        'move a station out of the city',
        () =>
          as(cityAdmin).patch(`/api/v1/stations/${changsha[0]!.id}`, {
            location: { lon: zhuzhou.lon, lat: zhuzhou.lat },
          }),
      ],
      [
        'an account without a region',
        () =>
          as(cityAdmin).post('/api/v1/users', { username: 'anywhere', role: 'admin', region: {} }),
      ],
      [
        'an account in another city',
        () =>
          as(cityAdmin).post('/api/v1/users', {
            username: 'zz-admin',
            role: 'admin',
            region: { city: '株洲市' },
          }),
      ],
      [
        'a manager for a station in another city',
        () =>
          as(cityAdmin).post('/api/v1/users', {
            username: 'zz-manager',
            role: 'manager',
            station_ids: [zhuzhou.id],
          }),
      ],
      [
        'disable a provincial account',
        () => as(cityAdmin).patch('/api/v1/users/1', { disabled: true }),
      ],
      ['reset a provincial password', () => as(cityAdmin).post('/api/v1/users/1/password', {})],
    ]
    for (const [name, send] of outside) {
      const res = await send()
      expect(res.status, name).toBe(403)
      expect(res.headers['content-type'], name).toMatch(/^application\/problem\+json/)
    }
    expect(await counts()).toEqual(before)
    const listed = await as(cityAdmin).get('/api/v1/users')
    expect(listed.body.users.map((u: { username: string }) => u.username)).toEqual(['cs-admin'])
  })

  it('a city admin creates stations and managers in the city; the audit shows it', async () => {
    const created = await as(cityAdmin).post('/api/v1/stations', {
      ...stationBody('CS-NEW-1'),
      location: { lon: changsha[0]!.lon + 0.001, lat: changsha[0]!.lat },
    })
    expect(created.status).toBe(201)
    expect(created.body.city).toBe('长沙市')
    const manager = await as(cityAdmin).post('/api/v1/users', {
      username: 'cs-manager',
      role: 'manager',
      password: 'a-long-enough-password',
      station_ids: [created.body.id, changsha[1]!.id],
    })
    expect(manager.status).toBe(201)
    expect(manager.body).toMatchObject({
      region: { city: '长沙市' },
      station_ids: expect.any(Array),
    })
    expect(manager.body.password).toBeUndefined()
    const signedIn = await signIn(app, 'cs-manager', 'a-long-enough-password')
    const report = await request(app)
      .post(`/api/v1/stations/${created.body.id}/reports`)
      .set('Cookie', signedIn)
      .set('Idempotency-Key', 'cs-manager-1')
      .send({ occupancy: 1 })
    expect(report.status).toBe(201)

    const audit = await as(cityAdmin).get('/api/v1/audit')
    expect(audit.status).toBe(200)
    const actions = audit.body.entries.map((e: { action: string }) => e.action)
    // Newest first; the oldest is the city admin's own account, made by the provincial admin.
    expect(actions).toEqual(['user.create', 'station.create', 'user.create'])
    expect(audit.body.entries[0]).toMatchObject({
      actor: { username: 'cs-admin' },
      user: { username: 'cs-manager' },
      before: null,
    })
    expect(audit.body.entries[1].station).toMatchObject({ code: 'CS-NEW-1' })
    // The provincial admin sees the city admin's creation too; passwords appear nowhere.
    const all = await as(admin).get(`/api/v1/audit?actor=${cityAdminId}`)
    expect(all.body.entries.length).toBeGreaterThanOrEqual(2)
    const rows = JSON.stringify(await db().knex('audit_log').select())
    expect(rows).not.toMatch(/a-long-enough-password|password_hash|\$argon2/)
  })

  it('assigns and unassigns stations within the region, each once in the audit', async () => {
    const manager = await db().knex('users').where({ username: 'cs-manager' }).first()
    const url = (stationId: number) => `/api/v1/users/${manager.id}/stations/${stationId}`
    const station = changsha[2]!.id
    expect((await as(cityAdmin).put(url(station))).status).toBe(204)
    expect((await as(cityAdmin).put(url(station))).status).toBe(204)
    expect((await as(cityAdmin).put(url(zhuzhou.id))).status).toBe(403)
    const managed = await db().knex('station_managers').where({ user_id: manager.id })
    expect(managed.map((m) => m.station_id)).toContain(station)
    const remove = () => request(app).delete(url(station)).set('Cookie', cityAdmin)
    expect((await remove()).status).toBe(204)
    expect((await remove()).status).toBe(204)
    const entries = await db()
      .knex('audit_log')
      .where({ user_id: manager.id, station_id: station })
      .orderBy('id')
    expect(entries.map((e) => e.action)).toEqual(['user.assign_station', 'user.unassign_station'])
  })

  it('disabling an account ends its sessions, tokens and live connections at once', async () => {
    const made = await as(admin).post('/api/v1/users', {
      username: 'to-disable',
      role: 'manager',
      password: 'another-long-password',
    })
    const cookie = await signIn(app, 'to-disable', 'another-long-password')
    const token = (await as(cookie).post('/api/v1/auth/tokens', { name: 't', scopes: ['read'] }))
      .body.token as string
    const server = await startServer(db())
    const socket = liveClient(server.url, { cookie })
    try {
      await socket.connected()
      const disabled = await request(server.url)
        .patch(`/api/v1/users/${made.body.id}`)
        .set('Cookie', admin)
        .send({ disabled: true })
      expect(disabled.status).toBe(200)
      expect(disabled.body.disabled).toBe(true)
      await expect.poll(() => socket.socket.connected).toBe(false)
      expect((await as(cookie).get('/api/v1/auth/me')).status).toBe(401)
      const bearer = await request(app)
        .get('/api/v1/auth/me')
        .set('Authorization', `Bearer ${token}`)
      expect(bearer.status).toBe(401)
      const login = await request(app)
        .post('/api/v1/auth/login')
        .send({ username: 'to-disable', password: 'another-long-password' })
      expect(login.status).toBe(401)
      const audit = await as(admin).get(`/api/v1/audit?user=${made.body.id}`)
      expect(audit.body.entries[0]).toMatchObject({
        action: 'user.disable',
        before: { disabled: false },
        after: { disabled: true },
      })
    } finally {
      socket.close()
      await server.close()
    }
  })

  it('a reset password is shown once and replaces the old one', async () => {
    await as(admin).post('/api/v1/users', {
      username: 'forgetful',
      role: 'planner',
      password: 'the-first-password',
    })
    const id = (await db().knex('users').where({ username: 'forgetful' }).first()).id
    const reset = await as(admin).post(`/api/v1/users/${id}/password`, {})
    expect(reset.status).toBe(200)
    expect(reset.body.password).toMatch(/^[A-Za-z2-9]{16}$/)
    const old = await request(app)
      .post('/api/v1/auth/login')
      .send({ username: 'forgetful', password: 'the-first-password' })
    expect(old.status).toBe(401)
    await signIn(app, 'forgetful', reset.body.password)
  })

  it('the console lists the stations of the admin’s region, found by code, name or address', async () => {
    const mine = await as(cityAdmin).get('/api/v1/admin/stations?limit=500')
    expect(mine.status).toBe(200)
    expect(mine.body.stations.length).toBeGreaterThan(0)
    expect(mine.body.stations.every((s: { city: string }) => s.city === '长沙市')).toBe(true)
    const code = changsha[0]!.code
    const found = await as(cityAdmin).get(`/api/v1/admin/stations?q=${code.toLowerCase()}`)
    expect(found.body.stations.map((s: { code: string }) => s.code)).toEqual([code])
    const other = await as(cityAdmin).get(`/api/v1/admin/stations?q=${zhuzhou.code}`)
    expect(other.body.stations).toEqual([])
    const retired = await as(admin).get('/api/v1/admin/stations?state=retired')
    expect(retired.body.stations.every((s: { state: string }) => s.state === 'retired')).toBe(true)
    expect(retired.body.stations.length).toBeGreaterThan(0)
  })

  it('only admins manage accounts and read the audit', async () => {
    const manager = await signIn(app, 'manager001')
    const planner = await signIn(app, 'planner')
    for (const [who, cookie] of [
      ['manager', manager],
      ['planner', planner],
    ] as const) {
      expect((await as(cookie).get('/api/v1/users')).status, who).toBe(403)
      expect((await as(cookie).get('/api/v1/audit')).status, who).toBe(403)
      expect((await as(cookie).get('/api/v1/admin/stations')).status, who).toBe(403)
      expect(
        (await as(cookie).post('/api/v1/users', { username: 'sneaky', role: 'admin' })).status,
        who,
      ).toBe(403)
    }
    expect((await request(app).get('/api/v1/users')).status).toBe(401)
    expect(await db().knex('users').where({ username: 'sneaky' }).first()).toBeUndefined()
  })
})
