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

/**
 * How long the client waits for a statement that has `statementTimeoutMs` on the server. A
 * frozen server cancels nothing, so the client gives up a little after the server would have.
 */
export const clientTimeoutMs = (statementTimeoutMs: number) => statementTimeoutMs + 1000

export interface DatabaseOptions {
  databaseUrl?: string
  dataDir: string
  statementTimeoutMs?: number
  poolMax?: number
  /** How long a request waits for a connection of the pool (or a new one to be made). */
  acquireTimeoutMs?: number
}

export async function openDatabase(opts: DatabaseOptions): Promise<Database> {
  if (opts.databaseUrl) {
    const acquireTimeoutMs = opts.acquireTimeoutMs ?? 5_000
    const knex = knexFactory({
      client: 'pg',
      connection: {
        connectionString: opts.databaseUrl,
        statement_timeout: opts.statementTimeoutMs ?? 15_000,
        // Not for a caller that sets no statement timeout: the seed lifts it for its long writes.
        ...(opts.statementTimeoutMs
          ? { query_timeout: clientTimeoutMs(opts.statementTimeoutMs) }
          : {}),
        connectionTimeoutMillis: acquireTimeoutMs,
      } satisfies pg.ClientConfig,
      pool: {
        min: 0,
        max: opts.poolMax ?? 10,
        // A dead connection (database restarted) is dropped instead of handed out again.
        afterCreate(conn: pg.Client, done: (err: Error | null, conn: pg.Client) => void) {
          conn.on('error', () => {})
          done(null, conn)
        },
        // One whose query the client gave up on is still busy on the server: dropped too.
        validate: (conn: pg.Client & { readyForQuery?: boolean }) => conn.readyForQuery !== false,
      },
      acquireConnectionTimeout: acquireTimeoutMs,
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
