import path from 'node:path'
import fs from 'node:fs'
import knexFactory, { type Knex } from 'knex'
import pg from 'pg'
import { listenPostgres, type ListenHandlers } from './listen.ts'

export type Backend = 'postgis' | 'pglite'

export interface Database {
  knex: Knex
  backend: Backend
  /** Receives the NOTIFY payloads of a channel as transactions commit. */
  listen(channel: string, handlers: ListenHandlers): Promise<{ close(): Promise<void> }>
  close(): Promise<void>
}

// PostgreSQL bigint and numeric come back as strings by default; ids and counts here fit in a double.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v))
pg.types.setTypeParser(pg.types.builtins.NUMERIC, (v) => Number(v))

export interface DatabaseOptions {
  databaseUrl?: string
  dataDir: string
  statementTimeoutMs?: number
  poolMax?: number
}

export async function openDatabase(opts: DatabaseOptions): Promise<Database> {
  if (opts.databaseUrl) {
    const knex = knexFactory({
      client: 'pg',
      connection: {
        connectionString: opts.databaseUrl,
        statement_timeout: opts.statementTimeoutMs ?? 15_000,
      },
      pool: {
        min: 0,
        max: opts.poolMax ?? 10,
        // A dead connection (database restarted) is dropped instead of handed out again.
        afterCreate(conn: pg.Client, done: (err: Error | null, conn: pg.Client) => void) {
          conn.on('error', () => {})
          done(null, conn)
        },
      },
      acquireConnectionTimeout: 5_000,
    })
    const url = opts.databaseUrl
    return {
      knex,
      backend: 'postgis',
      listen: (channel, handlers) => listenPostgres(url, channel, handlers),
      close: () => knex.destroy(),
    }
  }
  return openPglite(opts.dataDir)
}

async function openPglite(dataDir: string): Promise<Database> {
  // Loaded lazily: the WASM build is only needed in embedded mode.
  const [{ PGlite }, { postgis }, { default: ClientPgLite }] = await Promise.all([
    import('@electric-sql/pglite'),
    import('@electric-sql/pglite-postgis'),
    import('knex-pglite'),
  ])
  fs.mkdirSync(path.dirname(path.resolve(dataDir)), { recursive: true })
  const pglite = await PGlite.create({ dataDir, extensions: { postgis } })
  const knex = knexFactory({
    client: ClientPgLite as unknown as typeof knexFactory.Client,
    dialect: 'postgres',
    connection: () => ({ pglite }) as unknown as Knex.ConnectionConfig,
  })
  return {
    knex,
    backend: 'pglite',
    // in the same process as the writers: it never loses the channel
    async listen(channel, handlers) {
      const unlisten = await pglite.listen(channel, handlers.notify)
      handlers.up()
      return { close: unlisten }
    },
    async close() {
      await knex.destroy()
      if (!pglite.closed) await pglite.close()
    },
  }
}
