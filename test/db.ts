import crypto from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import knexFactory from 'knex'
import { afterAll, beforeAll, describe, inject } from 'vitest'
import { openDatabase, type Backend, type Database } from '../server/src/db/knex.ts'
import { withDatabase } from './templates.ts'

export { TEST_PASSWORD } from './templates.ts'

/** A private copy of the seeded template database, thrown away afterwards. */
export async function openTestDatabase(
  backend: Backend,
): Promise<Database & { dispose(): Promise<void> }> {
  const suffix = `${process.pid}_${crypto.randomBytes(4).toString('hex')}`
  if (backend === 'pglite') {
    const dir = path.join(os.tmpdir(), `yizhan-test-${suffix}`)
    fs.cpSync(inject('pgliteTemplate'), dir, { recursive: true })
    const db = await openDatabase({ dataDir: dir })
    return {
      ...db,
      async dispose() {
        await db.close()
        fs.rmSync(dir, { recursive: true, force: true })
      },
    }
  }
  const template = inject('postgisTemplate')
  if (!template) throw new Error('TEST_DATABASE_URL is not set')
  const name = `yizhan_test_${suffix}`
  // Connected to the maintenance database: a session on the template itself would make every
  // other test file's clone fail ("source database is being accessed by other users").
  const admin = knexFactory({
    client: 'pg',
    connection: withDatabase(template, 'postgres'),
    pool: { min: 0, max: 1 },
  })
  await admin.raw('CREATE DATABASE ?? TEMPLATE ??', [name, new URL(template).pathname.slice(1)])
  const db = await openDatabase({ dataDir: '', databaseUrl: withDatabase(template, name) })
  return {
    ...db,
    async dispose() {
      await db.close()
      await admin.raw('DROP DATABASE IF EXISTS ?? WITH (FORCE)', [name])
      await admin.destroy()
    },
  }
}

/** The backends this run tests: PGlite always, real PostGIS when TEST_DATABASE_URL is set. */
export function testBackends(): Backend[] {
  return inject('postgisTemplate') ? ['pglite', 'postgis'] : ['pglite']
}

/**
 * Runs the same tests once per backend, each against its own seeded copy.
 * `db()` is valid inside tests and hooks.
 */
export function describeEachBackend(
  name: string,
  fn: (db: () => Database, backend: Backend) => void,
  backends = testBackends(),
) {
  for (const backend of backends) {
    describe(`${name} [${backend}]`, () => {
      let db: Awaited<ReturnType<typeof openTestDatabase>> | undefined
      beforeAll(async () => {
        db = await openTestDatabase(backend)
      })
      afterAll(async () => {
        await db?.dispose()
      })
      fn(() => {
        if (!db) throw new Error('database not open yet')
        return db
      }, backend)
    })
  }
}

/**
 * For what does not depend on the database (the browser's offline copy, accessibility, page
 * speed): once, on the deployed kind of database when there is one.
 */
export function describeOneBackend(
  name: string,
  fn: (db: () => Database, backend: Backend) => void,
) {
  describeEachBackend(name, fn, testBackends().slice(-1))
}
