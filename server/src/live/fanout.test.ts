import crypto from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import request from 'supertest'
import { describeEachBackend } from '../../../test/db.ts'
import { seedTime, signIn, testConfig } from '../../../test/app.ts'
import { startServer } from '../../../test/server.ts'
import { liveClient } from '../../../test/liveClient.ts'
import type { Bbox, StationStatusEvent } from '../../../contract/live-events.ts'
import { MAX_AREAS, withArea } from './fanout.ts'
import { roomAt } from './tiles.ts'

const CHANGSHA: Bbox = [112.6, 27.95, 113.2, 28.5]
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

interface Site {
  id: number
  lon: number
  lat: number
  capacity: number
}

/** Every message a client gets, as the list of statuses it holds. */
function messages(c: ReturnType<typeof liveClient>) {
  const got: StationStatusEvent[][] = []
  c.socket.on('station:status', (s) => got.push([s]))
  c.socket.on('station:statuses', (batch) => got.push(batch))
  return got
}

describe('withArea', () => {
  it('keeps up to MAX_AREAS areas apart, then merges them into the box around them all', () => {
    const areas: Bbox[] = []
    let next = areas
    for (let i = 0; i < MAX_AREAS; i++) next = withArea(next, [i, 0, i + 0.5, 1])
    expect(next.length).toBe(MAX_AREAS)
    expect(withArea(next, [0, 0, 0.5, 1])).toEqual(next)
    expect(withArea(next, [-1, -2, 0, 0])).toEqual([[-1, -2, MAX_AREAS - 0.5, 1]])
  })
})

describeEachBackend('live fan-out coalesces per connection', (db) => {
  let server: Awaited<ReturnType<typeof startServer>>
  let admin: string
  /** Three stations close together in central Changsha, and a phone-sized box around them. */
  let sites: Site[]
  let view: Bbox
  const clients: ReturnType<typeof liveClient>[] = []
  const client = (url = server.url, opts: { polling?: boolean } = {}) => {
    const c = liveClient(url, opts)
    clients.push(c)
    return c
  }

  beforeAll(async () => {
    const now = await seedTime(db())
    // Long windows, so that what a test posts in a burst surely falls in one.
    server = await startServer(db(), {
      clock: () => now,
      config: testConfig({
        LIVE_FINE_BATCH_MS: '1000',
        LIVE_BATCH_MS: '2500',
        LIVE_SUBSCRIBES_PER_MINUTE: '100',
      }),
    })
    admin = await signIn(server.server as never, 'admin')
    const { rows } = await db().knex.raw(
      `SELECT s.id, ST_X(s.location::geometry) AS lon, ST_Y(s.location::geometry) AS lat, s.capacity
         FROM stations s, stations c
        WHERE c.id = (SELECT id FROM stations WHERE city = '长沙市' AND state = 'active' ORDER BY id LIMIT 1)
          AND s.state = 'active'
        ORDER BY s.location::geometry <-> c.location::geometry LIMIT 3`,
    )
    sites = rows
    const pad = 0.002
    view = [
      Math.min(...sites.map((s) => s.lon)) - pad,
      Math.min(...sites.map((s) => s.lat)) - pad,
      Math.max(...sites.map((s) => s.lon)) + pad,
      Math.max(...sites.map((s) => s.lat)) + pad,
    ]
  })
  afterAll(async () => {
    for (const c of clients) c.close()
    await server?.close()
  })

  const report = (site: Site, occupancy: number, base = server.url) =>
    request(base)
      .post(`/api/v1/stations/${site.id}/reports`)
      .set('Cookie', admin)
      .set('Idempotency-Key', crypto.randomUUID())
      .send({ occupancy: occupancy % (site.capacity + 1) })
      .expect(201)
      .then((res) => res.body.status.version as number)

  it('a burst of reports in a phone’s view is one message with the newest status of each station', async () => {
    const phone = client()
    const ack = await phone.subscribe(view)
    expect(ack).toMatchObject({ ok: true, level: 16 })
    const got = messages(phone)
    const versions = new Map<number, number>()
    // Two reports per station, the second one newer: only the second may arrive.
    for (const round of [1, 2]) {
      const answers = await Promise.all(sites.map((site) => report(site, round)))
      sites.forEach((site, i) => versions.set(site.id, answers[i]!))
    }
    await expect.poll(() => got.length, { timeout: 3000 }).toBe(1)
    await sleep(1200)
    expect(got.length).toBe(1)
    expect(got[0]!.map((s) => [s.id, s.version]).sort((a, b) => a[0]! - b[0]!)).toEqual(
      [...versions].sort((a, b) => a[0] - b[0]),
    )
  })

  it('connections that get the same stations get the same message, over WebSocket and long-polling', async () => {
    await sleep(2600)
    const phones = [client(), client(), client(server.url, { polling: true })]
    for (const phone of phones) expect((await phone.subscribe(view)).ok).toBe(true)
    const got = phones.map(messages)
    const versions = await Promise.all(sites.slice(0, 2).map((site) => report(site, 4)))
    await expect.poll(() => got.map((g) => g.length), { timeout: 3000 }).toEqual([1, 1, 1])
    await sleep(1200)
    expect(got.map((g) => g.length)).toEqual([1, 1, 1])
    const byId = (pairs: number[][]) => pairs.sort((x, y) => x[0]! - y[0]!)
    expect(byId(got[0]![0]!.map((s) => [s.id, s.version]))).toEqual(
      byId(sites.slice(0, 2).map((site, i) => [site.id, versions[i]!])),
    )
    expect(got[1]).toEqual(got[0])
    expect(got[2]).toEqual(got[0])
  })

  it('a station in several of a client’s areas comes once per window', async () => {
    // Windows open with the first change after a quiet spell: let the earlier tests' close.
    await sleep(2600)
    const c = client()
    const [site] = sites
    const { lon, lat } = site!
    expect((await c.subscribe([lon - 0.003, lat - 0.003, lon + 0.001, lat + 0.001])).ok).toBe(true)
    expect((await c.subscribe([lon - 0.001, lat - 0.001, lon + 0.003, lat + 0.003])).ok).toBe(true)
    // and a city-wide one, on other (coarser) rooms
    expect((await c.subscribe(CHANGSHA)).ok).toBe(true)
    const got = messages(c)
    const version = await report(site!, 3)
    await expect.poll(() => c.statuses.get(site!.id)?.version, { timeout: 5000 }).toBe(version)
    await sleep(2700)
    expect(got.flat().filter((s) => s.id === site!.id).length).toBe(1)
    expect(got.length).toBe(1)
  })

  it('only stations inside the followed areas are sent, not the rest of their rooms', async () => {
    const [site] = sites
    const { lon, lat } = site!
    // Beside the station, in the same 500 m room, but not around it.
    const side = roomAt(16, lon + 0.0003, lat) === roomAt(16, lon, lat) ? 1 : -1
    const near: Bbox =
      side > 0
        ? [lon + 0.0001, lat - 0.0005, lon + 0.0003, lat + 0.0005]
        : [lon - 0.0003, lat - 0.0005, lon - 0.0001, lat + 0.0005]
    expect(roomAt(16, side > 0 ? near[2] : near[0], lat)).toBe(roomAt(16, lon, lat))
    const beside = client()
    const around = client()
    expect((await beside.subscribe(near)).ok).toBe(true)
    expect((await around.subscribe(view)).ok).toBe(true)
    const got = messages(beside)
    const version = await report(site!, 4)
    await expect.poll(() => around.statuses.get(site!.id)?.version, { timeout: 3000 }).toBe(version)
    await sleep(300)
    expect(got.flat().filter((s) => s.id === site!.id)).toEqual([])
  })

  it('phones get the short window, large views the long one', async () => {
    const phone = client()
    const wall = client()
    expect((await phone.subscribe(view)).ok).toBe(true)
    expect(await wall.subscribe(CHANGSHA)).toMatchObject({ ok: true, level: 8 })
    const [site] = sites
    // Windows open with the first change after a quiet spell: let the earlier tests' close.
    await sleep(2600)
    const posted = Date.now()
    const version = await report(site!, 5)
    await expect.poll(() => phone.statuses.get(site!.id)?.version, { timeout: 3000 }).toBe(version)
    const phoneMs = Date.now() - posted
    await expect.poll(() => wall.statuses.get(site!.id)?.version, { timeout: 5000 }).toBe(version)
    const wallMs = Date.now() - posted
    // 1,000 ms and 2,500 ms windows, both opened by this report
    expect(phoneMs).toBeLessThan(2300)
    expect(wallMs).toBeGreaterThan(phoneMs)
    expect(wallMs).toBeGreaterThanOrEqual(2300)
  })

  it('past MAX_AREAS areas a connection follows the box around them, and still gets every one', async () => {
    const c = client()
    const [site] = sites
    const { lon, lat } = site!
    for (let i = 0; i <= MAX_AREAS; i++) {
      const d = 0.001 * i
      const ack = await c.subscribe([
        lon - 0.0005 + d,
        lat - 0.0005,
        lon + 0.0005 + d,
        lat + 0.0005,
      ])
      expect(ack.ok).toBe(true)
    }
    const socket = server.live.io!.of('/live').sockets.get(c.socket.id!)!
    expect(socket.data.live.areas).toEqual([
      {
        bbox: [lon - 0.0005, lat - 0.0005, lon + 0.0005 + 0.001 * MAX_AREAS, lat + 0.0005],
        level: 16,
      },
    ])
    const version = await report(site!, 6)
    await expect.poll(() => c.statuses.get(site!.id)?.version, { timeout: 3000 }).toBe(version)
    const left = await c.socket.emitWithAck('unsubscribe', {})
    expect(left).toEqual({ ok: true, rooms: 0 })
    expect(socket.data.live.areas).toEqual([])
  })

  it('a recovered connection gets the windows it missed as one message for its areas', async () => {
    const c = client()
    expect((await c.subscribe(view)).ok).toBe(true)
    // one window delivered, so the client holds an offset
    await report(sites[0]!, 7)
    await expect
      .poll(() => c.statuses.get(sites[0]!.id)?.occupancy, { timeout: 3000 })
      .toBe(7 % (sites[0]!.capacity + 1))
    const got = messages(c)
    // The network drops, and the client stays away until the test brings it back.
    c.socket.io.reconnection(false)
    server.live.io!.of('/live').sockets.get(c.socket.id!)!.conn.close()
    await expect.poll(() => c.socket.connected).toBe(false)
    const versions = new Map<number, number>()
    for (const site of sites) {
      versions.set(site.id, await report(site, 8))
      // separate windows
      await sleep(1100)
    }
    c.socket.connect()
    await expect.poll(() => c.recoveries(), { timeout: 5000 }).toBe(1)
    await expect
      .poll(() => sites.map((s) => c.statuses.get(s.id)?.version), { timeout: 3000 })
      .toEqual(sites.map((s) => versions.get(s.id)))
    expect(got.length).toBe(1)
    expect(got[0]!.map((s) => s.id).sort()).toEqual(sites.map((s) => s.id).sort())
    expect(c.snapshots()).toBe(1)
  })
})
