import type { AddressInfo } from 'node:net'
import type { Database } from '../server/src/db/knex.ts'
import { createServer } from '../server/src/server.ts'
import type { Config } from '../server/src/config.ts'
import { testConfig } from './app.ts'

/** The real server with its live namespace, listening on a free loopback port. */
export async function startServer(
  db: Database,
  opts: { config?: Config; clock?: () => Date; redisUrl?: string } = {},
) {
  const built = await createServer({ db, config: opts.config ?? testConfig(), ...opts })
  await new Promise<void>((resolve) => built.server.listen(0, '127.0.0.1', resolve))
  const { port } = built.server.address() as AddressInfo
  return { url: `http://127.0.0.1:${port}`, ...built }
}
