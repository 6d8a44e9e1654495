import { execSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import knexFactory from 'knex'
import type { TestProject } from 'vitest/node'
import { openDatabase } from '../server/src/db/knex.ts'
import { migrateLatest } from '../server/src/db/migrate.ts'
import { seedDatabase } from '../seed/seed.ts'
import { TEST_PASSWORD, TEST_SEED, cacheDir, schemaHash, withDatabase } from './templates.ts'

/**
 * Builds one migrated and seeded database per backend, once: a PGlite data directory
 * that each test file copies, and a PostgreSQL template database each test file clones.
 */
export default async function setup(project: TestProject) {
  // Browser tests load the built web app.
  if (!fs.existsSync(path.join(cacheDir, '..', 'web', 'dist', 'index.html'))) {
    execSync('npm run build:web', { stdio: 'ignore' })
  }
  const hash = schemaHash()
  project.provide('pgliteTemplate', await pgliteTemplate(hash))
  const url = process.env.TEST_DATABASE_URL
  if (!url && process.env.REQUIRE_POSTGIS === '1') {
    throw new Error('REQUIRE_POSTGIS=1 but TEST_DATABASE_URL is not set')
  }
  project.provide('postgisTemplate', url ? await postgisTemplate(url, hash) : null)
}

async function seedInto(dataDir: string, databaseUrl?: string) {
  const db = await openDatabase({ dataDir, databaseUrl })
  try {
    await migrateLatest(db.knex)
    await seedDatabase(db.knex, { ...TEST_SEED, demoPassword: TEST_PASSWORD })
  } finally {
    await db.close()
  }
}

async function pgliteTemplate(hash: string): Promise<string> {
  const dir = path.join(cacheDir, `pglite-template-${hash}`)
  if (fs.existsSync(dir)) return dir
  const building = `${dir}.building-${process.pid}`
  fs.rmSync(building, { recursive: true, force: true })
  await seedInto(building)
  if (fs.existsSync(dir))
    fs.rmSync(building, { recursive: true, force: true }) // another run won
  else fs.renameSync(building, dir)
  return dir
}

async function postgisTemplate(url: string, hash: string): Promise<string> {
  const name = `yizhan_test_tpl_${hash}`
  const admin = knexFactory({ client: 'pg', connection: url, pool: { min: 0, max: 1 } })
  try {
    const exists = await admin('pg_database').where({ datname: name }).first()
    if (!exists) {
      // per process, so that two test runs starting together never drop each other's
      const building = `${name}_building_${process.pid}`
      await admin.raw('DROP DATABASE IF EXISTS ?? WITH (FORCE)', [building])
      await admin.raw('CREATE DATABASE ??', [building])
      await seedInto('', withDatabase(url, building))
      try {
        await admin.raw('ALTER DATABASE ?? RENAME TO ??', [building, name])
      } catch (e) {
        if (!(await admin('pg_database').where({ datname: name }).first())) throw e
        await admin.raw('DROP DATABASE ?? WITH (FORCE)', [building]) // another run won
      }
    }
  } catch (e) {
    throw new Error(`Cannot prepare the PostGIS test database on TEST_DATABASE_URL: ${String(e)}`, {
      cause: e,
    })
  } finally {
    await admin.destroy()
  }
  return withDatabase(url, name)
}

declare module 'vitest' {
  export interface ProvidedContext {
    pgliteTemplate: string
    postgisTemplate: string | null
  }
}
