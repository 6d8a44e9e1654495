import type { Knex } from 'knex'

/** A table partitioned by month (UTC) of one timestamptz column. */
export interface MonthlyTable {
  table: 'status_reports' | 'status_hourly'
  column: 'reported_at' | 'hour'
}

/** Its partitions' names, the default one aside. */
export async function partitionNames(knex: Knex, t: MonthlyTable): Promise<string[]> {
  const { rows } = await knex.raw(
    `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
      WHERE i.inhparent = ?::regclass AND c.relname <> ? ORDER BY 1`,
    [t.table, `${t.table}_default`],
  )
  return rows.map((r: { name: string }) => r.name)
}

/** First days (YYYY-MM-01) of the months whose rows wait in the default partition. */
export async function monthsInDefault(knex: Knex, t: MonthlyTable): Promise<string[]> {
  const { rows } = await knex.raw(
    `SELECT DISTINCT to_char(date_trunc('month', ??, 'UTC') AT TIME ZONE 'UTC', 'YYYY-MM-DD')
            AS month
       FROM ?? ORDER BY 1`,
    [t.column, `${t.table}_default`],
  )
  return rows.map((r: { month: string }) => r.month)
}

/** Creates the month's partition (moving its rows out of the default); false if it existed. */
export async function addMonth(knex: Knex, t: MonthlyTable, month: string): Promise<boolean> {
  const { rows } = await knex.raw('SELECT history_add_month(?, ?, ?::date) AS created', [
    t.table,
    t.column,
    month,
  ])
  return rows[0].created
}

/**
 * Drops a whole month. Waits at most a few seconds for the table lock, so a long read of the
 * history is not queued behind (and does not queue every report behind it): the next run
 * tries again.
 */
export async function dropPartition(knex: Knex, name: string): Promise<void> {
  await knex.transaction(async (trx) => {
    await trx.raw("SET LOCAL lock_timeout = '3s'")
    await trx.raw('DROP TABLE ??', [name])
  })
}

/** Rows older than the cutoff that a bulk load left in the default partition. */
export async function deleteDefaultBefore(knex: Knex, t: MonthlyTable, before: Date) {
  await knex.raw('DELETE FROM ?? WHERE ?? < ?', [`${t.table}_default`, t.column, before])
}
