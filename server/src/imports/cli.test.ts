import { execFile } from 'node:child_process'
import crypto from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, inject, it } from 'vitest'
import knexFactory from 'knex'
import { openDatabase, type Database } from '../db/knex.ts'
import { withDatabase } from '../../../test/templates.ts'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..')
const run = promisify(execFile)
const csv = (amenity: string) =>
  [
    '编号,名称,城市,经度,纬度,设施,座位数',
    'CLI-001,命令行驿站一,长沙市,112.9861,28.1963,饮用水,8',
    `CLI-002,命令行驿站二,长沙市,112.9911,28.2012,${amenity},6`,
  ].join('\n')

/** The command as a union's IT staff run it, against its own copy of the seeded database. */
async function importCli(env: Record<string, string>, file: string, ...args: string[]) {
  try {
    const { stdout } = await run(
      path.join(ROOT, 'node_modules/.bin/tsx'),
      ['server/src/imports/cli.ts', 'stations', file, ...args],
      { cwd: ROOT, env: { ...process.env, LOG_LEVEL: 'silent', ...env }, timeout: 120_000 },
    )
    return { code: 0, stdout }
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string }
    return { code: e.code, stdout: e.stdout + e.stderr }
  }
}

const postgis = inject('postgisTemplate')
const copies: (() => Promise<void>)[] = []
afterAll(async () => {
  for (const dispose of copies) await dispose()
})

/** A copy of the seeded template the command can open by itself (not shared with the test). */
async function copy(backend: 'pglite' | 'postgis'): Promise<Record<string, string>> {
  const suffix = `${process.pid}_${crypto.randomBytes(4).toString('hex')}`
  if (backend === 'pglite') {
    const dir = path.join(os.tmpdir(), `yizhan-cli-${suffix}`)
    fs.cpSync(inject('pgliteTemplate'), dir, { recursive: true })
    copies.push(async () => fs.rmSync(dir, { recursive: true, force: true }))
    return { DATA_DIR: dir }
  }
  const admin = knexFactory({ client: 'pg', connection: withDatabase(postgis!, 'postgres') })
  const name = `yizhan_cli_${suffix}`
  await admin.raw('CREATE DATABASE ?? TEMPLATE ??', [name, new URL(postgis!).pathname.slice(1)])
  copies.push(async () => {
    await admin.raw('DROP DATABASE IF EXISTS ?? WITH (FORCE)', [name])
    await admin.destroy()
  })
  return { DATABASE_URL: withDatabase(postgis!, name) }
}

describe('npm run import', () => {
  for (const backend of postgis ? (['pglite', 'postgis'] as const) : (['pglite'] as const)) {
    it(`imports a GCJ-02 CSV, refusing it whole while a row is wrong [${backend}]`, async () => {
      const env = await copy(backend)
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'yizhan-csv-'))
      const bad = path.join(dir, 'bad.csv')
      const good = path.join(dir, 'good.csv')
      fs.writeFileSync(bad, csv('桑拿'))
      fs.writeFileSync(good, csv('无线网络'))
      const refused = await importCli(env, bad, '--crs', 'gcj02')
      expect(refused.code).toBe(1)
      expect(refused.stdout).toContain('row 3, amenities: unknown amenity 桑拿')
      expect(refused.stdout).toContain('Not written: 1 created')
      const done = await importCli(env, good, '--crs', 'gcj02')
      expect(done.code, done.stdout).toBe(0)
      expect(done.stdout).toMatch(/Imported: 2 created, 0 updated, 0 unchanged, 0 errors/)
      const again = await importCli(env, good, '--crs', 'gcj02')
      expect(again.stdout).toMatch(/0 created, 0 updated, 2 unchanged/)
      const db: Database = await openDatabase({
        dataDir: env.DATA_DIR ?? '',
        databaseUrl: env.DATABASE_URL,
      })
      try {
        const rows = await db.knex('stations').where('code', 'like', 'CLI-%').orderBy('code')
        expect(rows.map((r) => [r.code, r.amenities])).toEqual([
          ['CLI-001', ['drinking_water']],
          ['CLI-002', ['wifi']],
        ])
        const audit = await db.knex('audit_log').where({ action: 'station.import' })
        expect(audit.map((a) => a.actor_id)).toEqual([null, null])
      } finally {
        await db.close()
      }
      fs.rmSync(dir, { recursive: true, force: true })
    }, 180_000)
  }
})
