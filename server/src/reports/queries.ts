import fs from 'node:fs'
import type { Knex } from 'knex'
import type { AuthUser } from '../auth/queries.ts'
import { selectStations, type StationRow } from '../stations/queries.ts'
import type { SupplyLowEvent } from '../../../contract/live-events.ts'
import type { Supply } from '../../../contract/vocabulary.ts'
import { keysetPage } from '../http/paging.ts'
import { managesColumn, stationsManagedBy } from '../stations/managers.ts'
import { prepareStatement, queryPrepared } from '../db/prepared.ts'
import type { HistoryQuery } from './schema.ts'

/** A report's station as committed, whether its user manages it, and any earlier use of its key. */
export type ReportTarget = StationRow & { manages: boolean; prior: PriorRequest | null }

/** What was first asked and answered under an Idempotency-Key. */
export interface PriorRequest {
  request_hash: string
  status_code: number
  response: unknown
}

/** The station, the user's right to it and the key's earlier answer, in one statement without a lock. */
export async function readTarget(
  knex: Knex,
  user: AuthUser,
  key: string,
  stationId: number,
): Promise<ReportTarget | undefined> {
  const [target] = await queryPrepared<ReportTarget>(
    knex,
    selectStations(knex)
      .select(
        managesColumn(knex, user.id),
        knex.raw(
          `(SELECT jsonb_build_object('request_hash', k.request_hash, 'status_code', k.status_code,
                                      'response', k.response)
              FROM idempotency_keys k WHERE k.user_id = ? AND k.key = ?) AS prior`,
          [user.id, key],
        ),
      )
      .where('s.id', stationId),
  )
  return target
}

const applyReport = prepareStatement(
  fs.readFileSync(new URL('./apply-report.sql', import.meta.url), 'utf8'),
  [
    'station_id',
    'user_id',
    'occupancy',
    'charging',
    'reported_charging',
    'supplies',
    'note',
    'at',
    'expected',
    'key',
    'request_hash',
    'answer',
  ],
)

/**
 * Status, supplies, history row, alerts and the key's answer of one report, in one statement
 * (apply-report.sql), if the status is still at `expected`. Undefined when it is not, or when
 * the key was taken meanwhile: nothing was written, and the report is to be decided again.
 */
export async function writeReport(
  knex: Knex,
  report: {
    station_id: number
    user_id: number
    occupancy: number
    charging: number
    reported_charging: number | null
    supplies: Record<string, number>
    note: string | null
    at: Date
    expected: number
    key: string
    request_hash: string
    answer: unknown
  },
): Promise<{ alertsOpened: number } | undefined> {
  try {
    const [written] = await applyReport.run<{ applied: boolean; opened: number }>(knex, {
      ...report,
      supplies: JSON.stringify(report.supplies),
      answer: JSON.stringify(report.answer),
    })
    return written!.applied ? { alertsOpened: written!.opened } : undefined
  } catch (err) {
    const e = err as { code?: string; constraint?: string }
    if (e.code === '23505' && e.constraint === 'idempotency_keys_pkey') return undefined
    throw err
  }
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
