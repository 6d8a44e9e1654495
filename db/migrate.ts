import { loadConfig } from '../server/src/config.ts'
import { openDatabase } from '../server/src/db/knex.ts'
import { migrateLatest } from '../server/src/db/migrate.ts'

const config = loadConfig()
const db = await openDatabase({ databaseUrl: config.DATABASE_URL, dataDir: config.DATA_DIR })
try {
  const applied = await migrateLatest(db.knex)
  console.log(applied.length ? `Applied ${applied.length} migrations` : 'Already up to date')
} finally {
  await db.close()
}
