import { afterAll, beforeAll, expect, it } from 'vitest'
import request from 'supertest'
import { describeEachBackend, TEST_PASSWORD } from '../test/db.ts'
import { seedTime } from '../test/app.ts'
import { startServer } from '../test/server.ts'
import { liveClient } from '../test/liveClient.ts'
import { runSimulation } from './simulate.ts'

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
    const changsha = liveClient(server.url)
    try {
      const ack = await changsha.subscribe([112.6, 27.95, 113.2, 28.5])
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

      // The seeded managers 001–008 run stations in Changsha: every reported station reaches the
      // client, a city-wide view in batches (newest status per station per window), as in the API.
      const ids = [...new Set(reported.map((r) => r.station_id as number))]
      for (const id of ids) {
        const api = (await request(server.url).get(`/api/v1/stations/${id}`)).body
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
      expect(changsha.batches()).toBeGreaterThan(3)
      expect(changsha.batches()).toBeLessThan(result.accepted / 2)
    } finally {
      changsha.close()
    }
  })
})
