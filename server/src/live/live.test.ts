import crypto from 'node:crypto'
import { afterAll, beforeAll, expect, it } from 'vitest'
import request from 'supertest'
import { describeEachBackend } from '../../../test/db.ts'
import { seedTime, signIn, testConfig } from '../../../test/app.ts'
import { startServer } from '../../../test/server.ts'
import { liveClient } from '../../../test/liveClient.ts'
import type { Bbox } from '../../../contract/live-events.ts'

const settle = (ms = 300) => new Promise((r) => setTimeout(r, ms))

describeEachBackend('live updates over /live', (db) => {
  let server: Awaited<ReturnType<typeof startServer>>
  let manager: string
  let station: { id: number; lon: number; lat: number; capacity: number }
  let around: Bbox
  const clients: ReturnType<typeof liveClient>[] = []
  const client = (opts?: Parameters<typeof liveClient>[1]) => {
    const c = liveClient(server.url, opts)
    clients.push(c)
    return c
  }

  beforeAll(async () => {
    const now = await seedTime(db())
    server = await startServer(db(), { clock: () => now })
    manager = await signIn(server.server as never, 'manager001')
    const me = await request(server.url).get('/api/v1/auth/me').set('Cookie', manager)
    const { rows } = await db().knex.raw(
      `SELECT s.id, ST_X(location::geometry) AS lon, ST_Y(location::geometry) AS lat, capacity
         FROM stations s WHERE id = ?`,
      [me.body.station_ids[0]],
    )
    station = rows[0]
    around = [station.lon - 0.01, station.lat - 0.01, station.lon + 0.01, station.lat + 0.01]
  })
  afterAll(async () => {
    for (const c of clients) c.close()
    await server?.close()
  })

  const report = (body: object, cookie = manager, base = server.url) =>
    request(base)
      .post(`/api/v1/stations/${station.id}/reports`)
      .set('Cookie', cookie)
      .set('Idempotency-Key', crypto.randomUUID())
      .send(body)

  it('subscribe acknowledges with the status of every station in the bbox', async () => {
    const c = client()
    const ack = await c.subscribe(around)
    expect(ack.ok).toBe(true)
    if (!ack.ok) return
    const ids = await db()
      .knex('stations')
      .whereRaw('location::geometry && ST_MakeEnvelope(?, ?, ?, ?, 4326)', around)
      .whereNot('state', 'retired')
      .orderBy('id')
      .pluck('id')
    expect(ack.stations.map((s) => s.id).sort((a, b) => a - b)).toEqual(ids)
    const api = await request(server.url).get(`/api/v1/stations/${station.id}`)
    const mine = ack.stations.find((s) => s.id === station.id)!
    // Exactly the API's status, with what the map needs beside it.
    expect(mine).toEqual({
      id: station.id,
      capacity: api.body.capacity,
      charging_points: api.body.charging_points,
      location: api.body.location,
      ...api.body.status,
    })
  })

  it('a subscriber inside the bbox receives the update, one outside does not', async () => {
    const inside = client()
    const outside = client()
    await inside.subscribe(around)
    // Far away: the other end of the province.
    await outside.subscribe(
      [station.lon + 2, station.lat - 2.5, station.lon + 2.05, station.lat - 2.45].map((v, i) =>
        i % 2 ? Math.max(-89, v) : v,
      ) as Bbox,
    )
    const res = await report({ occupancy: 1 })
    expect(res.status).toBe(201)
    await expect.poll(() => inside.statuses.get(station.id)?.version).toBe(res.body.status.version)
    const got = inside.received.find((s) => s.version === res.body.status.version)!
    expect(got).toEqual({
      id: station.id,
      capacity: res.body.capacity,
      charging_points: res.body.charging_points,
      location: res.body.location,
      ...res.body.status,
    })
    expect(got.occupancy).toBe(1)
    await settle()
    expect(outside.received.filter((s) => s.id === station.id)).toEqual([])
  })

  it('picks finer rooms for a phone’s view and coarser, batched ones for a city or the province', async () => {
    const c = client()
    const levels = []
    for (const bbox of [
      around,
      [112.6, 27.95, 113.2, 28.5],
      [108.8, 24.65, 114.25, 30.1],
    ] as Bbox[]) {
      const ack = await c.subscribe(bbox)
      expect(ack.ok).toBe(true)
      if (ack.ok) levels.push(ack.level)
      await c.socket.emitWithAck('unsubscribe', {})
    }
    expect(levels).toEqual([16, 8, 5])
  })

  it('refuses bad and oversized subscriptions with an error ack', async () => {
    const c = client()
    await c.connected()
    const tooBig = await c.subscribe([70, 15, 135, 55])
    expect(tooBig).toMatchObject({ ok: false, error: expect.stringMatching(/too large/) })
    const ack = await c.socket
      .timeout(5000)
      .emitWithAck('subscribe', { bbox: [113, 28, 112, 29] as Bbox })
    expect(ack.ok).toBe(false)
    const junk = await c.socket.timeout(5000).emitWithAck('subscribe', { bbox: 'all' } as never)
    expect(junk.ok).toBe(false)
  })

  it('supply:low fires once per crossing, to the station’s managers and planners only', async () => {
    const planner = await signIn(server.server as never, 'planner')
    const otherManager = await signIn(server.server as never, 'manager002')
    const mgr = client({ cookie: manager })
    const pln = client({ cookie: planner })
    const other = client({ cookie: otherManager })
    const anon = client()
    await Promise.all([mgr, pln, other, anon].map((c) => c.connected()))
    await settle()
    const item = 'first_aid'
    const lows = (c: typeof mgr) =>
      c.alerts.filter((a) => a.station_id === station.id && a.item === item).length

    expect((await report({ occupancy: 1, supplies: { [item]: 60 } })).status).toBe(201)
    expect((await report({ occupancy: 1, supplies: { [item]: 10 } })).status).toBe(201)
    await expect.poll(() => lows(mgr)).toBe(1)
    await expect.poll(() => lows(pln)).toBe(1)
    expect((await report({ occupancy: 1, supplies: { [item]: 5 } })).status).toBe(201) // still low: no repeat
    await settle()
    expect([lows(mgr), lows(pln), lows(other), lows(anon)]).toEqual([1, 1, 0, 0])
    expect(mgr.alerts.find((a) => a.item === item)).toMatchObject({
      level: 10,
      threshold: 20,
      station_id: station.id,
    })

    // A manager who reconnects sees the open alert.
    const again = client({ cookie: manager })
    await expect
      .poll(() =>
        again.openAlerts.at(-1)?.some((a) => a.station_id === station.id && a.item === item),
      )
      .toBe(true)
    const listed = await request(server.url).get('/api/v1/alerts').set('Cookie', manager)
    expect(listed.body.alerts.some((a: { item: string }) => a.item === item)).toBe(true)

    expect((await report({ occupancy: 1, supplies: { [item]: 80 } })).status).toBe(201) // restocked
    expect((await report({ occupancy: 1, supplies: { [item]: 15 } })).status).toBe(201) // a new crossing
    await expect.poll(() => lows(mgr)).toBe(2)
    await settle()
    expect([lows(mgr), lows(pln), lows(other), lows(anon)]).toEqual([2, 2, 0, 0])
  })

  it.each([
    ['recovers its session and the missed events', '120', { recoveries: 1, snapshots: 1 }],
    ['re-subscribes when the session cannot be recovered', '0', { recoveries: 0, snapshots: 2 }],
  ])(
    'a client force-disconnected mid-stream %s and converges to the database',
    async (_n, recovery, expected) => {
      const now = await seedTime(db())
      const own = await startServer(db(), {
        clock: () => now,
        config: testConfig({ LIVE_RECOVERY_SECONDS: recovery }),
      })
      const c = liveClient(own.url)
      clients.push(c)
      await c.subscribe(around)
      for (let i = 0; i < 30; i++) {
        // The network drops mid-stream; the client reconnects by itself.
        if (i === 10)
          [...own.live.io!.of('/live').sockets.values()]
            .find((s) => s.id === c.socket.id)
            ?.conn.close()
        const res = await report({ occupancy: i % (station.capacity + 1) }, manager, own.url)
        expect(res.status).toBe(201)
      }
      const dbStatus = await db().knex('station_status').where({ station_id: station.id }).first()
      await expect
        .poll(() => c.statuses.get(station.id)?.version, { timeout: 5000 })
        .toBe(dbStatus.version)
      expect(c.statuses.get(station.id)?.occupancy).toBe(dbStatus.occupancy)
      expect({ recoveries: c.recoveries(), snapshots: c.snapshots() }).toEqual(expected)
      c.close()
      await own.close()
    },
  )

  it('station:changed on create, edit and retire', async () => {
    const admin = await signIn(server.server as never, 'admin')
    const c = client()
    const events: { change: string; id: number }[] = []
    c.socket.on('station:changed', (e) => events.push(e))
    await c.subscribe(around)
    const created = await request(server.url)
      .post('/api/v1/stations')
      .set('Cookie', admin)
      .send({
        code: 'HN-LIVE-1',
        name: '实时测试站',
        location: { lon: station.lon + 0.001, lat: station.lat },
        capacity: 5,
      })
    expect(created.status).toBe(201)
    await request(server.url)
      .patch(`/api/v1/stations/${created.body.id}`)
      .set('Cookie', admin)
      .send({ capacity: 6 })
    await request(server.url)
      .patch(`/api/v1/stations/${created.body.id}`)
      .set('Cookie', admin)
      .send({ state: 'retired' })
    await expect.poll(() => events.map((e) => e.change)).toEqual(['created', 'updated', 'retired'])
    expect(events.every((e) => e.id === created.body.id)).toBe(true)
  })

  it('an API token in the handshake authenticates the socket', async () => {
    const created = await request(server.url)
      .post('/api/v1/auth/tokens')
      .set('Cookie', manager)
      .send({ name: 'kiosk' })
    const c = client({ token: created.body.token })
    await c.connected()
    await expect.poll(() => c.openAlerts.length).toBe(1)
  })

  it('an invalid token is refused at connect', async () => {
    const c = client({ token: 'yz_not-a-token' })
    await expect(c.connected()).rejects.toThrow(/invalid token/)
  })
})
