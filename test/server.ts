import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { createApp, createLiveHub, type AppDeps } from '../server/src/app.ts'
import type { Database } from '../server/src/db/knex.ts'
import { redisAdapter } from '../server/src/live/redis.ts'
import { statusRules } from '../server/src/stations/status.ts'
import { testConfig } from './app.ts'

/** The real app with its live namespace, listening on a free loopback port. */
export async function startServer(
  db: Database,
  deps: Partial<AppDeps> & { redisUrl?: string } = {},
) {
  const config = deps.config ?? testConfig()
  const live = createLiveHub(db, config, statusRules(config.STALE_AFTER_MINUTES, deps.clock))
  const app = createApp({ db, config, ...deps, live })
  const server = http.createServer(app)
  const redis = deps.redisUrl ? await redisAdapter(deps.redisUrl, () => {}) : undefined
  live.attach(server, redis?.adapter)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    server,
    live,
    async close() {
      await live.close() // closes the HTTP server too
      await redis?.close()
    },
  }
}
