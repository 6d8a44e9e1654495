import fs from 'node:fs'
import type { Knex } from 'knex'
import type { AuthUser } from '../auth/queries.ts'
import { selectStations, type StationRow } from '../stations/queries.ts'
import type { SupplyLowEvent } from '../../../contract/live-events.ts'
import type { Supply } from '../../../contract/vocabulary.ts'
import { keysetPage } from '../http/paging.ts'
import { managesColumn, stationsManagedBy } from '../stations/managers.ts'
import { queryPrepared } from '../db/prepared.ts'
import type { HistoryQuery } from './schema.ts'

const applyReportSql = fs.readFileSync(new URL('./apply-report.sql', import.meta.url), 'utf8')

export type ReportTarget = Omit<StationRow, 'supplies'> & { claimed: boolean; manages: boolean }

type SupplyLevels = Record<string, [level: number, threshold: number]>
export interface WriteResult {
  /** The station's supplies before this report, read after the lock. */
  supplies_before: SupplyLevels | null
  supplies_written: SupplyLevels
  opened: Omit<AlertRow, 'station_id' | 'station_name'>[]
}

/**
 * Claims the Idempotency-Key and reads the station with its status row locked, in one
 * statement: reports for one station are applied one at a time, in order. A concurrent request
 * with the same key waits here until the first commits, then finds the key taken; if the first
 * rolls back, this one claims the key instead. The supplies come from the write, which reads
 * them after the lock.
 */
export async function claimAndLock(
  trx: Knex.Transaction,
  user: AuthUser,
  key: string,
  hash: string,
  stationId: number,
): Promise<ReportTarget | undefined> {
  const [station] = await queryPrepared<ReportTarget>(
    trx,
    selectStations(trx, 'locking')
      .with(
        'claim',
        trx.raw(
          `INSERT INTO idempotency_keys (user_id, key, request_hash, status_code, response)
         VALUES (?, ?, ?, 0, '{}') ON CONFLICT (user_id, key) DO NOTHING RETURNING key`,
          [user.id, key, hash],
        ),
      )
      .select(trx.raw('EXISTS (SELECT 1 FROM claim) AS claimed'), managesColumn(trx, user.id))
      .where('s.id', stationId)
      // A waiting report then re-reads the status row the previous one committed (its version).
      .forNoKeyUpdate('st'),
  )
  return station
}

/** What was first asked and answered under a taken Idempotency-Key. */
export async function priorRequest(trx: Knex.Transaction, userId: number, key: string) {
  return trx('idempotency_keys')
    .select('request_hash', 'status_code', 'response')
    .where({ user_id: userId, key })
    .first<{ request_hash: string; status_code: number; response: unknown }>()
}

/** Status, supplies, history row and alert changes of one report, in one statement (apply-report.sql). */
export async function writeReport(
  trx: Knex.Transaction,
  report: {
    station_id: number
    user_id: number
    occupancy: number
    charging: number
    reported_charging: number | null
    supplies: Record<string, number>
    note: string | null
    at: Date
    version: number
  },
): Promise<WriteResult> {
  // One row: the final SELECT of the statement aggregates.
  const [written] = await queryPrepared<WriteResult>(
    trx,
    trx.raw(applyReportSql, { ...report, supplies: JSON.stringify(report.supplies) }),
  )
  return written!
}

/** The answer a retry with the same Idempotency-Key gets. */
export async function storeAnswer(
  trx: Knex.Transaction,
  userId: number,
  key: string,
  status: number,
  body: unknown,
) {
  await queryPrepared(
    trx,
    trx('idempotency_keys')
      .where({ user_id: userId, key })
      .update({ status_code: status, response: JSON.stringify(body) }),
  )
}

export interface AlertRow {
  id: number
  station_id: number
  station_name: string
  item: Supply
  level: number
  threshold: number
  opened_at: Date
}

export const toAlertEvent = (a: AlertRow): SupplyLowEvent => ({
  alert_id: a.id,
  station_id: a.station_id,
  station_name: a.station_name,
  item: a.item,
  level: a.level,
  threshold: a.threshold,
  opened_at: new Date(a.opened_at).toISOString(),
})

/** A retired station takes no more reports, so nothing else would ever close its alerts. */
export async function closeOpenAlerts(knex: Knex, stationId: number): Promise<void> {
  await knex('supply_alerts')
    .where({ station_id: stationId })
    .whereNull('closed_at')
    // reports may carry a pinned clock ahead of the database's: never close before opening
    .update({ closed_at: knex.raw('greatest(now(), opened_at)') })
}

/** Alerts (`a`) with their station (`s`), oldest first, as AlertRow. */
export const selectAlerts = (knex: Knex) =>
  knex('supply_alerts as a')
    .join('stations as s', 's.id', 'a.station_id')
    .select(
      'a.id',
      'a.station_id',
      's.name as station_name',
      'a.item',
      'a.level',
      'a.threshold',
      'a.opened_at',
    )
    .orderBy('a.id')

/** The alerts still open. */
export const selectOpenAlerts = (knex: Knex) => selectAlerts(knex).whereNull('a.closed_at')

export async function openAlerts(knex: Knex, user: AuthUser): Promise<SupplyLowEvent[]> {
  const q = selectOpenAlerts(knex)
  if (user.role === 'manager') {
    q.whereIn('a.station_id', stationsManagedBy(knex, user.id))
  }
  const rows: AlertRow[] = await q
  return rows.map(toAlertEvent)
}

export async function reportHistory(knex: Knex, stationId: number, q: HistoryQuery) {
  const query = knex('status_reports as r')
    .leftJoin('users as u', 'u.id', 'r.reported_by')
    .select(
      'r.id',
      'r.station_id',
      'r.occupancy',
      'r.charging_points_in_use',
      'r.supplies',
      'r.note',
      'u.username as reported_by',
      'r.reported_at',
      'r.version',
    )
    .where('r.station_id', stationId)
    .orderBy('r.id', 'desc')
    .limit(q.limit + 1)
  if (q.from) query.where('r.reported_at', '>=', new Date(q.from))
  if (q.to) query.where('r.reported_at', '<', new Date(q.to))
  if (q.cursor) query.where('r.id', '<', q.cursor)
  const { page, next_cursor } = keysetPage(await query, q.limit)
  return {
    reports: page.map((r) => ({ ...r, reported_at: new Date(r.reported_at).toISOString() })),
    next_cursor,
  }
}

export async function stationTimezone(knex: Knex, stationId: number) {
  const row = await knex('stations').select('timezone').where({ id: stationId }).first()
  return row?.timezone as string | undefined
}

export async function stationExists(knex: Knex, stationId: number) {
  return Boolean(await knex('stations').select('id').where({ id: stationId }).first())
}

/**
 * Mean occupancy by ISO weekday and hour in the station's time zone, over [from, to]: the
 * whole UTC hours in [hoursFrom, hoursTo) from the hourly rollups, the rest of the range from
 * the reports themselves (an empty hours range reads only reports).
 */
export async function busyHourRows(
  knex: Knex,
  stationId: number,
  range: { from: Date; to: Date; hoursFrom: Date; hoursTo: Date },
) {
  const { from, to, hoursFrom, hoursTo } = range
  const { rows } = await knex.raw(
    `SELECT extract(isodow FROM x.at AT TIME ZONE s.timezone)::int AS weekday,
            extract(hour FROM x.at AT TIME ZONE s.timezone)::int AS hour,
            round(sum(x.total)::numeric / sum(x.n), 2)::float8 AS mean_occupancy,
            sum(x.n)::int AS reports
       FROM (SELECT hour AS at, reports AS n, occupancy_sum AS total FROM status_hourly
              WHERE station_id = :id AND hour >= :hoursFrom AND hour < :hoursTo
             UNION ALL
             SELECT reported_at, 1, occupancy FROM status_reports
              WHERE station_id = :id
                AND (reported_at >= :from AND reported_at < :hoursFrom
                     OR reported_at >= :hoursTo AND reported_at <= :to)) AS x
       JOIN stations s ON s.id = :id
      GROUP BY 1, 2 ORDER BY 1, 2`,
    { id: stationId, from, to, hoursFrom, hoursTo },
  )
  return rows as { weekday: number; hour: number; mean_occupancy: number; reports: number }[]
}

/** Keys are kept at least 24 h (48 h here) so late client retries still find their answer. */
export async function pruneIdempotencyKeys(knex: Knex, now = new Date()): Promise<number> {
  // Raw SQL: the embedded dialect does not pass a DELETE's row count through the query builder.
  const { rows } = await knex.raw(
    'DELETE FROM idempotency_keys WHERE created_at < ? RETURNING key',
    [new Date(now.getTime() - 48 * 3600_000)],
  )
  return rows.length
}
