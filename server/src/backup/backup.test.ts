import { execFile } from 'node:child_process'
import crypto from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { fileURLToPath } from 'node:url'
import knexFactory, { type Knex } from 'knex'
import { afterAll, describe, expect, inject, it } from 'vitest'
import { ROLE_SCOPES } from '../../../contract/vocabulary.ts'
import { seedDatabase } from '../../../seed/seed.ts'
import { withDatabase } from '../../../test/templates.ts'
import type { AuthUser } from '../auth/queries.ts'
import { openDatabase, type Backend, type Database } from '../db/knex.ts'
import { migrateLatest } from '../db/migrate.ts'
import { submitReport } from '../reports/service.ts'
import { statusRules } from '../stations/status.ts'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..')
const run = promisify(execFile)
const postgis = inject('postgisTemplate')
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'yizhan-backup-test-'))
const cleanups: (() => Promise<void>)[] = []
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup()
  fs.rmSync(tmp, { recursive: true, force: true })
})

/** The npm script as an operator runs it, with the database named only in its environment. */
async function npmRun(env: Record<string, string>, ...args: string[]) {
  try {
    const { stdout } = await run('npm', ['run', '--silent', ...args], {
      cwd: ROOT,
      env: { ...process.env, DATABASE_URL: '', DATA_DIR: '', LOG_LEVEL: 'silent', ...env },
      timeout: 170_000,
    })
    return { code: 0, output: stdout }
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string }
    return { code: e.code, output: e.stdout + e.stderr }
  }
}

/** A place for a database the commands can open by themselves: a folder, or a new database. */
async function place(
  backend: Backend,
  name: string,
): Promise<{ env: Record<string, string>; open(): Promise<Database> }> {
  const suffix = `${name}_${process.pid}_${crypto.randomBytes(3).toString('hex')}`
  if (backend === 'pglite') {
    const dir = path.join(tmp, suffix)
    return { env: { DATA_DIR: dir }, open: () => openDatabase({ dataDir: dir }) }
  }
  const admin = knexFactory({ client: 'pg', connection: withDatabase(postgis!, 'postgres') })
  const database = `yizhan_bk_${suffix}`
  await admin.raw('CREATE DATABASE ??', [database])
  cleanups.push(async () => {
    await admin.raw('DROP DATABASE IF EXISTS ?? WITH (FORCE)', [database])
    await admin.destroy()
  })
  const url = withDatabase(postgis!, database)
  return { env: { DATABASE_URL: url }, open: () => openDatabase({ dataDir: '', databaseUrl: url }) }
}

/** Reports through the app's own path, as a manager's phone sends them. */
async function report(knex: Knex, stations: number[], occupancy: number) {
  const admin = await knex('users').where({ role: 'admin' }).first()
  const user: AuthUser = {
    id: admin.id,
    username: admin.username,
    role: 'admin',
    scopes: ROLE_SCOPES.admin,
    credential: { kind: 'session', hash: 'backup-test' },
    expires_at: new Date(Date.now() + 3600_000),
    region: {},
  }
  for (const stationId of stations) {
    const outcome = await submitReport(
      knex,
      { user, stationId, key: crypto.randomUUID(), body: { occupancy, note: 'backup test' } },
      statusRules(120),
    )
    expect(outcome.status).toBe(201)
  }
}

/** What a restore must bring back exactly. */
async function contents(db: Database) {
  const rows = async (sql: string) => (await db.knex.raw(sql)).rows
  return {
    stations: await rows(
      'SELECT id, name, ST_AsText(location) AS location FROM stations ORDER BY id',
    ),
    reports: await rows(
      `SELECT id::text, station_id, occupancy, reported_at::text FROM status_reports ORDER BY id`,
    ),
    migrations: await rows('SELECT name FROM knex_migrations ORDER BY id'),
  }
}

const summary = (c: Awaited<ReturnType<typeof contents>>) =>
  `${c.stations.length} stations, ${c.reports.length} status reports`

describe('npm run backup / restore', () => {
  for (const backend of postgis ? (['pglite', 'postgis'] as const) : (['pglite'] as const)) {
    it(`restores the same stations and reports [${backend}]`, { timeout: 600_000 }, async () => {
      const source = await place(backend, 'src')
      const db = await source.open()
      await migrateLatest(db.knex)
      await seedDatabase(db.knex, { seed: 'backup', stations: 60, demoPassword: 'backup-pw-123' })
      const ids = (await db.knex('stations').where({ state: 'active' }).orderBy('id').limit(5)).map(
        (s) => s.id,
      )
      await report(db.knex, ids, 3)
      const before = await contents(db)
      expect(before.stations.length).toBe(60)
      expect(before.reports.length).toBeGreaterThan(5)

      const file = path.join(tmp, `${backend}.backup`)
      if (backend === 'pglite') {
        // The app has the folder open: a copy now could be torn.
        const busy = await npmRun(source.env, 'backup', '--', '--out', file)
        expect(busy.code, busy.output).toBe(1)
        expect(busy.output).toContain('is in use')
        expect(fs.existsSync(file)).toBe(false)
        await db.close()
      }
      const backup = await npmRun(source.env, 'backup', '--', '--out', file)
      expect(backup.code, backup.output).toBe(0)
      expect(backup.output).toContain(`Backed up to ${file}`)
      expect(backup.output).toContain(summary(before))
      if (backend === 'postgis') {
        // Reports written after the backup are not in it.
        await report(db.knex, ids.slice(0, 1), 4)
        await db.close()
      }

      const target = await place(backend, 'dst')
      const restored = await npmRun(target.env, 'restore', '--', file)
      expect(restored.code, restored.output).toBe(0)
      expect(restored.output).toContain(summary(before))
      const after = await target.open()
      try {
        expect(await contents(after)).toEqual(before)
        // The app goes on where the backup ended: new ids follow the restored ones.
        await report(after.knex, ids.slice(0, 1), 5)
      } finally {
        await after.close()
      }
      if (backend === 'pglite')
        expect(fs.existsSync(path.join(target.env.DATA_DIR!, 'postmaster.pid'))).toBe(false)

      const refused = await npmRun(target.env, 'restore', '--', file)
      expect(refused.code, refused.output).toBe(1)
      expect(refused.output).toMatch(/already (holds a database|has \d+ tables).*--force/)

      const forced = await npmRun(target.env, 'restore', '--', file, '--force')
      expect(forced.code, forced.output).toBe(0)
      const again = await target.open()
      try {
        // The report written since is gone: the backup replaced the database whole.
        expect(await contents(again)).toEqual(before)
      } finally {
        await again.close()
      }
      if (backend === 'pglite') {
        const kept = /the database it replaced is in (\S+)/.exec(forced.output)?.[1]
        expect(kept && fs.existsSync(path.join(kept, 'PG_VERSION'))).toBe(true)
      }
    })
  }
})
