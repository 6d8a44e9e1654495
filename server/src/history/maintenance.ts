import type { Knex } from 'knex'
import {
  addMonth,
  deleteDefaultBefore,
  dropPartition,
  monthsInDefault,
  partitionNames,
  type MonthlyTable,
} from './queries.ts'

/** How far ahead months get their partitions: two months without any node running are fine. */
const MONTHS_AHEAD = 2

export interface Retention {
  /** Months kept before the current one; 0 keeps everything. */
  reportMonths: number
  hourlyMonths: number
}

/** First day (YYYY-MM-01, UTC) of the month `offset` months from the one holding `at`. */
export function monthStart(at: Date, offset = 0): string {
  return new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth() + offset, 1))
    .toISOString()
    .slice(0, 10)
}

/** The month a partition holds, from the name history_add_month gives it. */
function partitionMonth(t: MonthlyTable, name: string): string | undefined {
  const m = new RegExp(`^${t.table}_y(\\d{4})m(\\d{2})$`).exec(name)
  return m ? `${m[1]}-${m[2]}-01` : undefined
}

/**
 * Keeps the monthly partitions of the history and its hourly rollups: this month's and the
 * next ones exist before the first row needs them, rows a bulk load left in the default
 * partition move into their months, and months past the retention are dropped whole.
 * Every node runs it hourly; the database serialises concurrent runs.
 */
export async function maintainHistory(knex: Knex, now: Date, retention: Retention) {
  const tables: [MonthlyTable, number][] = [
    [{ table: 'status_reports', column: 'reported_at' }, retention.reportMonths],
    [{ table: 'status_hourly', column: 'hour' }, retention.hourlyMonths],
  ]
  const created: string[] = []
  const dropped: string[] = []
  for (const [t, keepMonths] of tables) {
    const ahead = Array.from({ length: MONTHS_AHEAD + 1 }, (_, i) => monthStart(now, i))
    const cutoff = keepMonths > 0 ? monthStart(now, -keepMonths) : undefined
    if (cutoff) await deleteDefaultBefore(knex, t, new Date(`${cutoff}T00:00:00Z`))
    const waiting = await monthsInDefault(knex, t)
    for (const month of [...new Set([...waiting, ...ahead])].sort()) {
      if (await addMonth(knex, t, month)) created.push(`${t.table} ${month.slice(0, 7)}`)
    }
    if (!cutoff) continue
    for (const name of await partitionNames(knex, t)) {
      const month = partitionMonth(t, name)
      if (month && month < cutoff) {
        await dropPartition(knex, name)
        dropped.push(`${t.table} ${month.slice(0, 7)}`)
      }
    }
  }
  return { created, dropped }
}
