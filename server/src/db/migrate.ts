import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import type { Knex } from 'knex'

const migrationsDir = path.resolve(fileURLToPath(import.meta.url), '../../../../db/migrations')

/** Reads db/migrations/*.ts ourselves so the same code runs under tsx and vitest. */
export const migrationSource: Knex.MigrationSource<string> = {
  async getMigrations() {
    return fs
      .readdirSync(migrationsDir)
      .filter((f) => f.endsWith('.ts'))
      .sort()
  },
  getMigrationName: (file) => file,
  async getMigration(file) {
    return import(pathToFileURL(path.join(migrationsDir, file)).href)
  },
}

export async function migrateLatest(knex: Knex): Promise<string[]> {
  const [, applied] = (await knex.migrate.latest({ migrationSource })) as [number, string[]]
  return applied
}
