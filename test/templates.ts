import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'

export const TEST_PASSWORD = 'test-password-123'
export const TEST_SEED = { seed: 'yizhan', stations: 4076 }

const root = path.resolve(import.meta.dirname, '..')

/** Changes whenever a migration or the seed changes, so cached templates are rebuilt. */
export function schemaHash(): string {
  const h = crypto.createHash('sha256')
  h.update(JSON.stringify(TEST_SEED))
  for (const dir of ['db/migrations', 'seed']) {
    for (const f of fs.readdirSync(path.join(root, dir)).sort()) {
      if (f.endsWith('.ts') && !f.endsWith('.test.ts'))
        h.update(f).update(fs.readFileSync(path.join(root, dir, f)))
    }
  }
  return h.digest('hex').slice(0, 12)
}

export const cacheDir = path.join(root, '.cache')

export function withDatabase(url: string, database: string): string {
  const u = new URL(url)
  u.pathname = `/${database}`
  return u.toString()
}
