import crypto from 'node:crypto'
import { afterAll, beforeAll, expect, it } from 'vitest'
import request from 'supertest'
import { io, type Socket } from 'socket.io-client'
import { describeEachBackend } from '../../../test/db.ts'
import { seedTime, signIn } from '../../../test/app.ts'
import { startServer } from '../../../test/server.ts'
import { sha256 } from '../auth/passwords.ts'
import type { Bbox, SupplyLowEvent } from '../../../contract/live-events.ts'

const settle = (ms = 400) => new Promise((r) => setTimeout(r, ms))

/** A raw client: no reconnection of its own, so a test decides when it comes back. */
function rawClient(url: string, opts: { cookie?: string; token?: string } = {}) {
  const socket: Socket = io(`${url}/live`, {
    transports: ['websocket'],
    reconnection: false,
    ...(opts.cookie ? { extraHeaders: { cookie: opts.cookie } } : {}),
    ...(opts.token ? { auth: { token: opts.token } } : {}),
  })
  const alerts: SupplyLowEvent[] = []
  const disconnects: string[] = []
  socket.on('supply:low', (a: SupplyLowEvent) => alerts.push(a))
  socket.on('disconnect', (reason) => disconnects.push(reason))
  const connected = () =>
    new Promise<void>((resolve, reject) => {
      if (socket.connected) return resolve()
      socket.once('connect', () => resolve())
      socket.once('connect_error', reject)
    })
  return { socket, alerts, disconnects, connected }
}

describeEachBackend('live connections end with their session', (db) => {
  let server: Awaited<ReturnType<typeof startServer>>
  let stationId: number
  let around: Bbox
  let admin: string
  const sockets: Socket[] = []
  const client = (opts?: Parameters<typeof rawClient>[1]) => {
    const c = rawClient(server.url, opts)
    sockets.push(c.socket)
    return c
  }

  beforeAll(async () => {
    const now = await seedTime(db())
    server = await startServer(db(), { clock: () => now })
    admin = await signIn(server.server as never, 'admin')
    const manager = await signIn(server.server as never, 'manager001')
    stationId = (await request(server.url).get('/api/v1/auth/me').set('Cookie', manager)).body
      .station_ids[0]
    const { rows } = await db().knex.raw(
      'SELECT ST_X(location::geometry) AS lon, ST_Y(location::geometry) AS lat FROM stations WHERE id = ?',
      [stationId],
    )
    const { lon, lat } = rows[0]
    around = [lon - 0.01, lat - 0.01, lon + 0.01, lat + 0.01]
  })
  afterAll(async () => {
    for (const s of sockets) s.close()
    await server?.close()
  })

  /** Opens and then restocks a low-stock alert at the station: one supply:low to its managers. */
  async function lowThenRestock(item = 'umbrellas') {
    let version = 0
    for (const level of [2, 95]) {
      const res = await request(server.url)
        .post(`/api/v1/stations/${stationId}/reports`)
        .set('Cookie', admin)
        .set('Idempotency-Key', crypto.randomUUID())
        .send({ occupancy: 1, supplies: { [item]: level } })
      expect(res.status).toBe(201)
      version = res.body.status.version
    }
    return version
  }

  it('logout disconnects the sockets of that session only, at once', async () => {
    const ending = await signIn(server.server as never, 'manager001')
    const staying = await signIn(server.server as never, 'manager001')
    const a = client({ cookie: ending })
    const b = client({ cookie: staying })
    await Promise.all([a.connected(), b.connected()])
    expect(
      (await request(server.url).post('/api/v1/auth/logout').set('Cookie', ending)).status,
    ).toBe(204)
    await expect.poll(() => a.disconnects).toEqual(['io server disconnect'])
    await lowThenRestock()
    await expect.poll(() => b.alerts.length).toBe(1)
    expect(a.alerts).toEqual([])
    expect(b.socket.connected).toBe(true)
  })

  it('revoking an API token disconnects its sockets; the token cannot connect again', async () => {
    const session = await signIn(server.server as never, 'manager001')
    const minted = await request(server.url)
      .post('/api/v1/auth/tokens')
      .set('Cookie', session)
      .send({ name: 'wall screen' })
    const c = client({ token: minted.body.token })
    await c.connected()
    const revoked = await request(server.url)
      .delete(`/api/v1/auth/tokens/${minted.body.id}`)
      .set('Cookie', session)
    expect(revoked.status).toBe(204)
    await expect.poll(() => c.disconnects).toEqual(['io server disconnect'])
    await expect(client({ token: minted.body.token }).connected()).rejects.toThrow(/invalid token/)
  })

  it('a session that expires ends its live connection', async () => {
    const session = await signIn(server.server as never, 'manager001')
    await db()
      .knex('sessions')
      .where({ id_hash: sha256(session.split('=')[1]!) })
      .update({ expires_at: new Date(Date.now() + 1500) })
    const c = client({ cookie: session })
    await c.connected()
    await expect.poll(() => c.disconnects, { timeout: 5000 }).toEqual(['io server disconnect'])
  })

  /**
   * Drops the transport, reports a low stock while the client is away, optionally ends its
   * session, then lets the client recover: what does it get back?
   */
  async function awayDuringAlert(endSession: boolean) {
    const cookie = await signIn(server.server as never, 'manager001')
    const c = client({ cookie })
    // the admin, a planner, sees the alert go out from the change feed
    const witness = client({ cookie: admin })
    await Promise.all([c.connected(), witness.connected()])
    const ack = await c.socket.timeout(5000).emitWithAck('subscribe', { bbox: around })
    expect(ack.ok).toBe(true)
    await settle(100)
    // The network drops (the server sees the transport close; the client may recover).
    ;[...server.live.io!.of('/live').sockets.values()]
      .find((s) => s.id === c.socket.id)
      ?.conn.close()
    await expect.poll(() => c.disconnects).toEqual(['transport close'])
    if (endSession) await request(server.url).post('/api/v1/auth/logout').set('Cookie', cookie)
    await lowThenRestock('hand_warmers')
    await expect.poll(() => witness.alerts.length).toBe(1)
    witness.socket.close()
    c.socket.connect()
    await c.connected()
    await settle()
    return { recovered: c.socket.recovered, alerts: c.alerts.length, socket: c.socket }
  }

  it('a recovered connection gets the missed alert while its session lives', async () => {
    const { recovered, alerts } = await awayDuringAlert(false)
    expect({ recovered, alerts }).toEqual({ recovered: true, alerts: 1 })
  })

  it('a recovered connection whose session ended keeps its map rooms but not its private ones', async () => {
    const { recovered, alerts, socket: last } = await awayDuringAlert(true)
    expect({ recovered, alerts }).toEqual({ recovered: true, alerts: 0 })
    // Nor does it get the next alert.
    const later: SupplyLowEvent[] = []
    let seen = 0
    last.on('supply:low', (a: SupplyLowEvent) => later.push(a))
    last.on('station:status', (s: { version: number }) => (seen = s.version))
    const version = await lowThenRestock('hand_warmers')
    await expect.poll(() => seen).toBe(version)
    await settle()
    expect(later).toEqual([])
  })
})
