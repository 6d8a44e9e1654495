import { expect, it } from 'vitest'
import { describeEachBackend } from '../../../test/db.ts'
import {
  AMENITIES,
  DEFAULT_LOW_THRESHOLD,
  ROLES,
  SCOPES,
  STATION_STATES,
  SUPPLIES,
} from '../../../contract/vocabulary.ts'

// Migrations hold their lists as literals (an applied migration never changes): a word added
// to the vocabulary needs a new migration that widens these, or this test fails.
const constrained: [table: string, column: string, words: readonly string[]][] = [
  ['stations', 'amenities', AMENITIES],
  ['stations', 'state', STATION_STATES],
  ['station_requests', 'amenities', AMENITIES],
  ['station_supplies', 'item', SUPPLIES],
  ['supply_alerts', 'item', SUPPLIES],
  ['users', 'role', ROLES],
  ['api_tokens', 'scopes', SCOPES],
]

describeEachBackend('the database constraints and the vocabulary', (db) => {
  it.each(constrained)('%s.%s allows exactly the vocabulary', async (table, column, words) => {
    const { rows } = await db().knex.raw(
      `SELECT pg_get_constraintdef(c.oid) AS def
         FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid
        WHERE t.relname = ? AND c.contype = 'c'`,
      [table],
    )
    const defs = (rows as { def: string }[])
      .map((r) => r.def)
      .filter((d) => new RegExp(`\\(${column} (= ANY|<@)`).test(d))
    expect(defs, `one CHECK on ${table}.${column}`).toHaveLength(1)
    const allowed = [...defs[0]!.matchAll(/'([^']+)'::text/g)].map((m) => m[1])
    expect(new Set(allowed)).toEqual(new Set(words))
  })

  // A report answers with a new supply's threshold before the row exists: the column's default.
  it('station_supplies.low_threshold defaults to DEFAULT_LOW_THRESHOLD', async () => {
    const { rows } = await db().knex.raw(
      `SELECT column_default FROM information_schema.columns
        WHERE table_name = 'station_supplies' AND column_name = 'low_threshold'`,
    )
    expect(rows[0].column_default).toBe(String(DEFAULT_LOW_THRESHOLD))
  })
})
