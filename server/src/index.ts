import { ConfigError, loadConfig } from './config.ts'
import { openDatabase } from './db/knex.ts'
import { migrateLatest } from './db/migrate.ts'
import { createServer } from './server.ts'
import { createLogger } from './logger.ts'
import { pruneIdempotencyKeys } from './reports/queries.ts'
import { maintainHistory } from './history/maintenance.ts'
import { describeDemoAccounts, seedDatabase } from '../../seed/seed.ts'

async function main() {
  let config
  try {
    config = loadConfig()
  } catch (e) {
    if (e instanceof ConfigError) {
      console.error(e.message)
      process.exit(2)
    }
    throw e
  }
  const logger = createLogger(config.LOG_LEVEL)
  const started = Date.now()
  const db = await openDatabase({
    databaseUrl: config.DATABASE_URL,
    dataDir: config.DATA_DIR,
    statementTimeoutMs: config.DB_STATEMENT_TIMEOUT_MS,
    poolMax: config.DB_POOL_MAX,
  })
  if (db.backend === 'pglite') {
    // Embedded mode needs no setup: migrate, and seed an empty database.
    await migrateLatest(db.knex)
    const [row] = await db.knex('stations').count<{ n: number }[]>({ n: '*' })
    if (Number(row?.n) === 0) {
      logger.info('Empty embedded database: seeding the default data set')
      const summary = await seedDatabase(db.knex, {
        seed: 'yizhan',
        stations: config.SEED_STATIONS,
        demoPassword: config.SEED_DEMO_PASSWORD,
      })
      console.log(describeDemoAccounts(summary))
    }
  }
  const { server, close, drain } = await createServer({ db, config, logger })
  server.listen(config.PORT, config.HOST, () => {
    logger.info(
      { port: config.PORT, backend: db.backend, startupMs: Date.now() - started },
      `Yizhan listening on http://localhost:${config.PORT}`,
    )
  })
  // Hourly: idempotency keys are answered for 48 h, then dropped; the history's monthly
  // partitions are made ahead and dropped past their retention.
  const housekeeping = async () => {
    await pruneIdempotencyKeys(db.knex).catch((err) =>
      logger.warn({ err }, 'pruning idempotency keys failed'),
    )
    await maintainHistory(db.knex, new Date(), {
      reportMonths: config.HISTORY_RETENTION_MONTHS,
      hourlyMonths: config.HOURLY_RETENTION_MONTHS,
    })
      .then((done) => {
        if (done.created.length || done.dropped.length) logger.info(done, 'history partitions')
      })
      .catch((err) => logger.warn({ err }, 'history partition upkeep failed'))
  }
  await housekeeping()
  setInterval(housekeeping, 3600_000).unref()

  // Draining: not ready at once, so the load balancer stops sending new requests (its checks
  // need a few seconds to notice); then the server stops listening, in-flight requests
  // finish, and live clients are disconnected to reconnect to another node.
  let stopping = false
  const shutdown = (signal: string) => {
    if (stopping) return
    stopping = true
    logger.info({ signal, drainMs: config.SHUTDOWN_DRAIN_MS }, 'draining, then shutting down')
    drain()
    setTimeout(() => {
      close()
        .then(() => db.close())
        .finally(() => process.exit(0))
    }, config.SHUTDOWN_DRAIN_MS).unref()
    setTimeout(() => process.exit(1), config.SHUTDOWN_DRAIN_MS + 15_000).unref()
  }
  process.on('SIGINT', shutdown)
  process.on('SIGTERM', shutdown)
}

await main()
