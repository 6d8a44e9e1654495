import crypto from 'node:crypto'
import { afterAll, beforeAll, expect, it } from 'vitest'
import request from 'supertest'
import pg from 'pg'
import { describeEachBackend } from '../../../test/db.ts'
import { withDatabase } from '../../../test/templates.ts'
import { seedTime, signIn, testConfig } from '../../../test/app.ts'
import { startServer } from '../../../test/server.ts'
import { liveClient } from '../../../test/liveClient.ts'
import type { Bbox } from '../../../contract/live-events.ts'
import { LIVE_CHANNEL, type ChangedStation } from './feed.ts'

describeEachBackend('live events from the database’s change feed', (db, backend) => {
  let nodeA: Awaited<ReturnType<typeof startServer>>
  let nodeB: Awaited<ReturnType<typeof startServer>>
  let stationId: number
  let around: Bbox
  let manager: string
  const clients: ReturnType<typeof liveClient>[] = []
  const client = (url: string) => {
    const c = liveClient(url)
    clients.push(c)
    return c
  }

  beforeAll(async () => {
    const now = await seedTime(db())
    // two nodes on one database and no Redis: each hears the feed itself
    nodeA = await startServer(db(), { clock: () => now })
    nodeB = await startServer(db(), { clock: () => now })
    manager = await signIn(nodeA.server as never, 'manager001')
    stationId = (await request(nodeA.url).get('/api/v1/auth/me').set('Cookie', manager)).body
      .station_ids[0]
    const { rows } = await db().knex.raw(
      'SELECT ST_X(location::geometry) AS lon, ST_Y(location::geometry) AS lat FROM stations WHERE id = ?',
      [stationId],
    )
    const { lon, lat } = rows[0]
    around = [lon - 0.01, lat - 0.01, lon + 0.01, lat + 0.01]
  })
  afterAll(async () => {
    for (const c of clients) c.close()
    await nodeA?.close()
    await nodeB?.close()
  })

  /** A report through a node (A unless told), answered 201; its new version. */
  const report = async (occupancy: number, url = nodeA.url, supplies?: Record<string, number>) => {
    const res = await request(url)
      .post(`/api/v1/stations/${stationId}/reports`)
      .set('Cookie', manager)
      .set('Idempotency-Key', crypto.randomUUID())
      .send({ occupancy, supplies })
    expect(res.status).toBe(201)
    return res.body.status.version as number
  }

  it('a report on one node reaches clients of both, once each, without Redis', async () => {
    const onA = client(nodeA.url)
    const onB = client(nodeB.url)
    expect((await onA.subscribe(around)).ok).toBe(true)
    expect((await onB.subscribe(around)).ok).toBe(true)
    // what else keeps a copy on the other node hears it too
    const heard: ChangedStation[] = []
    nodeB.feed.observe({ changed: (batch) => heard.push(...batch), ownReport() {}, resync() {} })
    const version = await report(3)
    await expect
      .poll(() => heard.find((c) => c.station.id === stationId)?.station.status.version)
      .toBe(version)
    for (const c of [onA, onB]) {
      await expect.poll(() => c.statuses.get(stationId)?.version).toBe(version)
      expect(c.received.filter((s) => s.id === stationId && s.version === version)).toHaveLength(1)
      expect(c.statuses.get(stationId)!.occupancy).toBe(3)
    }
  })

  it('a node’s own report reaches its clients without waiting for the change feed', async () => {
    const deaf = await startServer(db())
    try {
      await deaf.feed.close()
      const c = client(deaf.url)
      expect((await c.subscribe(around)).ok).toBe(true)
      const own = await report(5, deaf.url)
      await expect.poll(() => c.statuses.get(stationId)?.version).toBe(own)
      expect(c.statuses.get(stationId)).toMatchObject({ occupancy: 5, version: own })
      // what only the feed would bring does not come: the report came from the node itself
      const onB = client(nodeB.url)
      expect((await onB.subscribe(around)).ok).toBe(true)
      const version = await report(6)
      await expect.poll(() => onB.statuses.get(stationId)?.version).toBe(version)
      await new Promise((r) => setTimeout(r, 200))
      expect(c.statuses.get(stationId)!.version).toBe(own)
    } finally {
      await deaf.close()
    }
  })

  it('a node’s own report is handed on once, not again when the feed announces it', async () => {
    const quick = await startServer(db(), { config: testConfig({ LIVE_FINE_BATCH_MS: '1' }) })
    try {
      const c = client(quick.url)
      expect((await c.subscribe(around)).ok).toBe(true)
      const own: number[] = []
      const read: number[] = []
      quick.feed.observe({
        changed: (batch) => read.push(...batch.map((b) => b.station.status.version)),
        ownReport: (row) => void own.push(row.version!),
        resync() {},
      })
      // the feed hears every report: another node's is read and handed on (each before the next)
      const versions: number[] = []
      for (let i = 0; i < 10; i++) {
        const version = await report(i, i % 2 ? quick.url : nodeB.url)
        versions.push(version)
        if (!(i % 2)) await expect.poll(() => read.at(-1)).toBe(version)
      }
      await new Promise((r) => setTimeout(r, 200))
      // each version once: this node's own straight from its report, unless (under load) the
      // feed read it before the report's answer was back; the other node's from the feed
      expect([...own, ...read].sort((a, b) => a - b)).toEqual(versions)
      const sent = c.received.filter((s) => s.id === stationId).map((s) => s.version)
      expect(sent).toEqual(versions)
    } finally {
      await quick.close()
    }
  })

  it('the database announces a new status with its version, once with its supplies; other changes without one', async () => {
    const heard: string[] = []
    const listening = await db().listen(LIVE_CHANNEL, {
      notify: (payload) => heard.push(payload),
      up() {},
      down() {},
    })
    try {
      const version = await report(2, nodeA.url, { drinking_water: 30, umbrellas: 4 })
      await db().knex('station_supplies').where({ station_id: stationId }).increment('level', 1)
      await db().knex('station_status').where({ station_id: stationId }).update({ occupancy: 2 })
      const s = `s:${stationId}`
      const statuses = () => heard.filter((p) => p.startsWith('s:'))
      await expect.poll(() => statuses().length).toBe(3)
      expect(statuses()).toEqual([`${s}:${version}`, s, s])
    } finally {
      await listening.close()
    }
  })

  it('a change written by anyone (here plain SQL, as an import or a script would) reaches the clients', async () => {
    const c = client(nodeB.url)
    const changes: string[] = []
    c.socket.on('station:changed', (e) => changes.push(`${e.id}:${e.change}:${e.station.name}`))
    expect((await c.subscribe(around)).ok).toBe(true)
    const { rows } = await db().knex.raw(
      `UPDATE station_status SET occupancy = 1, version = version + 1, reported_at = reported_at
        WHERE station_id = ? RETURNING version`,
      [stationId],
    )
    await expect.poll(() => c.statuses.get(stationId)?.version).toBe(rows[0].version)
    expect(c.statuses.get(stationId)!.occupancy).toBe(1)

    await db().knex('stations').where({ id: stationId }).update({ name: '改名的驿站' })
    await expect.poll(() => changes).toEqual([`${stationId}:updated:改名的驿站`])
  })

  it('a rolled-back change is never announced', async () => {
    const c = client(nodeA.url)
    expect((await c.subscribe(around)).ok).toBe(true)
    const before = c.statuses.get(stationId)!.version
    await db()
      .knex.transaction(async (trx) => {
        await trx('station_status')
          .where({ station_id: stationId })
          .update({ occupancy: 9, version: trx.raw('version + 1') })
        throw new Error('rolled back')
      })
      .catch(() => {})
    const version = await report(4)
    await expect.poll(() => c.statuses.get(stationId)?.version).toBe(version)
    expect(c.received.some((s) => s.id === stationId && s.occupancy === 9)).toBe(false)
    expect(version).toBe(before + 1)
  })

  it.skipIf(backend !== 'postgis')(
    'a node that loses its feed connection is not ready until it is back, then tells its clients to read afresh',
    async () => {
      const c = client(nodeA.url)
      expect((await c.subscribe(around)).ok).toBe(true)
      let observerResyncs = 0
      nodeA.feed.observe({ changed() {}, ownReport() {}, resync: () => observerResyncs++ })
      const { rows } = await db().knex.raw('SELECT current_database() AS name')
      const name = rows[0].name as string
      const feedBackends = () =>
        db().knex.raw(
          `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
            WHERE application_name = 'yizhan-live-feed' AND datname = ?`,
          [name],
        )
      expect((await request(nodeA.url).get('/readyz')).body).toMatchObject({ feed: 'up' })
      // refused while down: it cannot listen again until we allow it (said from another
      // database: a database cannot close itself)
      const admin = new pg.Client({
        connectionString: withDatabase(process.env.TEST_DATABASE_URL!, 'postgres'),
      })
      await admin.connect()
      const allow = (yes: boolean) =>
        admin.query(`ALTER DATABASE ${pg.escapeIdentifier(name)} ALLOW_CONNECTIONS ${yes}`)
      await allow(false)
      try {
        await feedBackends()
        await expect
          .poll(async () => (await request(nodeA.url).get('/readyz')).status, { timeout: 5000 })
          .toBe(503)
        const down = await request(nodeA.url).get('/readyz')
        expect(down.body).toMatchObject({ feed: 'down', detail: /change feed/ })
        // a change it cannot hear
        await db()
          .knex('station_status')
          .where({ station_id: stationId })
          .update({
            occupancy: 7,
            version: db().knex.raw('version + 1'),
          })
      } finally {
        await allow(true)
        await admin.end()
      }
      await expect
        .poll(async () => (await request(nodeA.url).get('/readyz')).status, { timeout: 10_000 })
        .toBe(200)
      await expect.poll(() => c.resyncs(), { timeout: 5000 }).toBeGreaterThan(0)
      expect(observerResyncs).toBe(1)
      // the snapshot it read afresh has the change it missed
      await expect.poll(() => c.statuses.get(stationId)?.occupancy).toBe(7)
      const version = await report(2)
      await expect.poll(() => c.statuses.get(stationId)?.version).toBe(version)
    },
  )
})
