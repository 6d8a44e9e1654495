import pg from 'pg'

export interface ListenHandlers {
  notify(payload: string): void
  /** Listening (again): notifications from now on arrive; any sent while down are lost. */
  up(): void
  down(err?: unknown): void
}

/** How often a listening connection proves it is alive, and how long it may take. */
const HEARTBEAT_MS = 5_000
const HEARTBEAT_TIMEOUT_MS = 3_000
const RETRY_MS = [250, 500, 1_000, 2_000, 5_000]

/**
 * LISTEN on one dedicated PostgreSQL connection (not the pool's: it holds no transaction and
 * lives as long as the process), reconnecting with back-off when it is lost. A heartbeat
 * finds a connection that died without closing (a restarted server, a dropped network).
 * Resolves once the first attempt is over, listening or not.
 */
export async function listenPostgres(url: string, channel: string, handlers: ListenHandlers) {
  let closed = false
  let firstTry: () => void = () => {}
  const tried = new Promise<void>((resolve) => (firstTry = resolve))
  let client: pg.Client | undefined
  let heartbeat: NodeJS.Timeout | undefined
  let failures = 0

  const lost = (c: pg.Client, err?: unknown) => {
    if (client !== c) return
    client = undefined
    clearInterval(heartbeat)
    c.end().catch(() => {})
    handlers.down(err)
    if (!closed) void connect()
  }

  async function connect() {
    while (!closed) {
      const c = new pg.Client({
        connectionString: url,
        query_timeout: HEARTBEAT_TIMEOUT_MS,
        application_name: 'yizhan-live-feed',
      })
      c.on('error', (err) => lost(c, err))
      c.on('end', () => lost(c))
      c.on('notification', (n) => handlers.notify(n.payload ?? ''))
      try {
        await c.connect()
        await c.query(`LISTEN ${pg.escapeIdentifier(channel)}`)
        if (closed) return void c.end().catch(() => {})
        client = c
        failures = 0
        heartbeat = setInterval(() => {
          c.query('SELECT 1').catch((err) => lost(c, err))
        }, HEARTBEAT_MS)
        heartbeat.unref()
        handlers.up()
        firstTry()
        return
      } catch (err) {
        c.removeAllListeners('end')
        c.end().catch(() => {})
        handlers.down(err)
        firstTry()
        await new Promise((r) => setTimeout(r, RETRY_MS[Math.min(failures++, RETRY_MS.length - 1)]))
      }
    }
  }

  void connect()
  // started listening, or knows it cannot yet (it keeps trying)
  await tried
  return {
    async close() {
      closed = true
      clearInterval(heartbeat)
      const c = client
      client = undefined
      await c?.end().catch(() => {})
    },
  }
}
