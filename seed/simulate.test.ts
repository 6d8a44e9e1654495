import { afterAll, beforeAll, expect, it } from 'vitest'
import request from 'supertest'
import { describeEachBackend, TEST_PASSWORD } from '../test/db.ts'
import { seedTime } from '../test/app.ts'
import { startServer } from '../test/server.ts'
import { liveClient } from '../test/liveClient.ts'
import { runSimulation } from './simulate.ts'
import type { Bbox } from '../contract/live-events.ts'

describeEachBackend('npm run simulate', (db) => {
  let server: Awaited<ReturnType<typeof startServer>>
  beforeAll(async () => {
    const now = await seedTime(db())
    server = await startServer(db(), { clock: () => now })
  })
  afterAll(async () => {
    await server?.close()
  })

  it('posts reports through the API that a client subscribed to Changsha sees, matching the API', async () => {
    const view: Bbox = [112.6, 27.95, 113.2, 28.5]
    const changsha = liveClient(server.url)
    try {
      const ack = await changsha.subscribe(view)
      expect(ack.ok).toBe(true)
      const [before] = await db().knex('status_reports').max({ id: 'id' })
      const result = await runSimulation({
        url: server.url,
        rate: 30,
        duration: 3,
        managers: 8,
        password: TEST_PASSWORD,
      })
      // Paced by the clock: 90 alone, fewer when the other test worker loads the two cores.
      expect(result.sent).toBeGreaterThan(20)
      expect(result.failed).toBe(0)
      expect(result.accepted).toBe(result.sent)
      const reported = await db()
        .knex('status_reports')
        .where('id', '>', before!.id)
        .select('station_id')
      expect(reported.length).toBe(result.accepted)

      // The seeded managers 001–008 run stations in and around Changsha: every reported station
      // inside the view reaches the client, in batches (newest status per station per window),
      // as in the API; those outside it never do.
      const ids = [...new Set(reported.map((r) => r.station_id as number))]
      let inside = 0
      for (const id of ids) {
        const api = (await request(server.url).get(`/api/v1/stations/${id}`)).body
        const { lon, lat } = api.location
        if (lon < view[0] || lat < view[1] || lon > view[2] || lat > view[3]) {
          expect(changsha.received.some((s) => s.id === id)).toBe(false)
          continue
        }
        inside++
        await expect
          .poll(() => changsha.statuses.get(id)?.version, { timeout: 3000 })
          .toBe(api.status.version)
        expect(changsha.statuses.get(id)).toMatchObject({
          occupancy: api.status.occupancy,
          availability: api.status.availability,
          supplies: api.status.supplies,
          charging_points_in_use: api.status.charging_points_in_use,
        })
      }
      expect(inside).toBeGreaterThan(ids.length / 2)
      expect(changsha.batches()).toBeGreaterThan(3)
      expect(changsha.batches()).toBeLessThan(result.accepted / 2)
    } finally {
      changsha.close()
    }
  })
})
