import crypto from 'node:crypto'
import { afterAll, beforeAll, expect, it } from 'vitest'
import request from 'supertest'
import { createClient } from 'redis'
import { describeEachBackend } from '../../../test/db.ts'
import { seedTime, signIn } from '../../../test/app.ts'
import { startServer } from '../../../test/server.ts'
import { liveClient } from '../../../test/liveClient.ts'

const redisUrl = process.env.REDIS_URL_TEST ?? 'redis://127.0.0.1:6379'

async function redisReachable() {
  const client = createClient({
    url: redisUrl,
    socket: { reconnectStrategy: false, connectTimeout: 2000 },
  })
  client.on('error', () => {})
  try {
    await client.connect()
    await client.ping()
    await client.quit()
    return true
  } catch {
    if (process.env.REQUIRE_REDIS === '1')
      throw new Error(`REQUIRE_REDIS=1 but Redis at ${redisUrl} is unreachable`)
    return false
  }
}

const hasRedis = await redisReachable()

describeEachBackend('two server nodes sharing one database and Redis', (db) => {
  let nodeA: Awaited<ReturnType<typeof startServer>>
  let nodeB: Awaited<ReturnType<typeof startServer>>

  beforeAll(async () => {
    if (!hasRedis) return
    const now = await seedTime(db())
    nodeA = await startServer(db(), { clock: () => now, redisUrl })
    nodeB = await startServer(db(), { clock: () => now, redisUrl })
  })
  afterAll(async () => {
    await nodeA?.close()
    await nodeB?.close()
  })

  it.skipIf(!hasRedis)('a report accepted by one node reaches clients of the other', async () => {
    const cookie = await signIn(nodeA.server as never, 'manager001')
    const me = await request(nodeA.url).get('/api/v1/auth/me').set('Cookie', cookie)
    const stationId = me.body.station_ids[0]
    const { rows } = await db().knex.raw(
      'SELECT ST_X(location::geometry) AS lon, ST_Y(location::geometry) AS lat FROM stations WHERE id = ?',
      [stationId],
    )
    const { lon, lat } = rows[0]
    const onB = liveClient(nodeB.url)
    const managerOnB = liveClient(nodeB.url, { cookie })
    try {
      const ack = await onB.subscribe([lon - 0.01, lat - 0.01, lon + 0.01, lat + 0.01])
      expect(ack.ok).toBe(true)
      await managerOnB.connected()
      // The adapter needs a moment to see the new rooms on the other node.
      await new Promise((r) => setTimeout(r, 300))
      const item = 'umbrellas'
      for (const level of [90, 3]) {
        const res = await request(nodeA.url)
          .post(`/api/v1/stations/${stationId}/reports`)
          .set('Cookie', cookie)
          .set('Idempotency-Key', crypto.randomUUID())
          .send({ occupancy: 2, supplies: { [item]: level } })
        expect(res.status).toBe(201)
        await expect
          .poll(() => onB.statuses.get(stationId)?.version, { timeout: 5000 })
          .toBe(res.body.status.version)
      }
      await expect
        .poll(() => managerOnB.alerts.filter((a) => a.item === item).length, { timeout: 5000 })
        .toBe(1)
    } finally {
      onB.close()
      managerOnB.close()
    }
  })

  it.skipIf(!hasRedis)('logging out on one node disconnects the session on the other', async () => {
    const cookie = await signIn(nodeA.server as never, 'manager001')
    const onB = liveClient(nodeB.url, { cookie })
    const reasons: string[] = []
    onB.socket.on('disconnect', (reason) => reasons.push(reason))
    try {
      await onB.connected()
      await new Promise((r) => setTimeout(r, 300))
      const out = await request(nodeA.url).post('/api/v1/auth/logout').set('Cookie', cookie)
      expect(out.status).toBe(204)
      await expect.poll(() => reasons, { timeout: 5000 }).toContain('io server disconnect')
    } finally {
      onB.close()
    }
  })
})
