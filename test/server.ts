import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { createApp, type AppDeps } from '../server/src/app.ts'
import type { Database } from '../server/src/db/knex.ts'
import { testConfig } from './app.ts'

/** The real app listening on a free loopback port, for browsers and socket clients. */
export async function startServer(db: Database, deps: Partial<AppDeps> = {}) {
  const app = createApp({ db, config: testConfig(), ...deps })
  const server = http.createServer(app)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    server,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}
