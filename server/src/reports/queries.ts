import crypto from 'node:crypto'
import fs from 'node:fs'
import type { Knex } from 'knex'
import { HttpError, badRequest, forbidden, notFound } from '../errors.ts'
import type { AuthUser } from '../auth/queries.ts'
import {
  selectStations,
  toStation,
  type Station,
  type StationRow,
  type StatusRules,
} from '../stations/queries.ts'
import type { SupplyLowEvent } from '../live/events.ts'
import type { Supply } from '../../../contract/vocabulary.ts'
import { keysetPage } from '../http/paging.ts'
import { managesColumn, stationsManagedBy } from '../stations/managers.ts'
import { queryPrepared } from '../db/prepared.ts'
import type { HistoryQuery, ReportBody } from './schema.ts'

/** Highest occupancy a report may give: seats can be exceeded by people standing, within reason. */
export const maxOccupancy = (capacity: number) => capacity * 2 + 10

export const requestHash = (stationId: number, body: ReportBody, ifMatch?: number) =>
  crypto
    .createHash('sha256')
    .update(JSON.stringify({ stationId, body: canonical(body), ifMatch: ifMatch ?? null }))
    .digest('hex')

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical)
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, v]) => v !== undefined)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([k, v]) => [k, canonical(v)]),
    )
  }
  return value
}

export interface ReportOutcome {
  status: number
  body: unknown
  /** Set only when this request wrote the report (not for a replay). */
  accepted?: { station: Station; alerts: SupplyLowEvent[] }
}

const applyReportSql = fs.readFileSync(new URL('./apply-report.sql', import.meta.url), 'utf8')

type ReportTarget = Omit<StationRow, 'supplies'> & { claimed: boolean; manages: boolean }

type SupplyLevels = Record<string, [level: number, threshold: number]>
interface WriteResult {
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
async function claimAndLock(
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

function checkReport(station: ReportTarget, user: AuthUser, body: ReportBody, ifMatch?: number) {
  if (user.role !== 'admin' && !station.manages) throw forbidden('You do not manage this station')
  if (station.state === 'retired') throw new HttpError(409, 'Conflict', 'This station is retired')
  if (ifMatch !== undefined && ifMatch !== station.version) {
    throw new HttpError(
      412,
      'Precondition Failed',
      `The status is at version ${station.version}, not ${ifMatch}`,
    )
  }
  const errors = []
  if (body.occupancy > maxOccupancy(station.capacity)) {
    errors.push({
      path: 'occupancy',
      message: `at most ${maxOccupancy(station.capacity)} at this station`,
    })
  }
  if ((body.charging_points_in_use ?? 0) > station.charging_points) {
    errors.push({
      path: 'charging_points_in_use',
      message: `this station has ${station.charging_points} charging points`,
    })
  }
  if (errors.length)
    throw badRequest(errors.map((e) => `${e.path}: ${e.message}`).join('; '), errors)
}

/**
 * Applies one report exactly once per (user, Idempotency-Key): status update, history row and
 * low-stock alerts in one transaction, with the answer stored under the key. Three statements,
 * so a burst of reports does not queue on the connection pool.
 */
export async function submitReport(
  knex: Knex,
  args: { user: AuthUser; stationId: number; key: string; ifMatch?: number; body: ReportBody },
  statusRules: () => StatusRules,
): Promise<ReportOutcome> {
  const { user, stationId, key, ifMatch, body } = args
  const hash = requestHash(stationId, body, ifMatch)
  return knex.transaction(async (trx) => {
    const station = await claimAndLock(trx, user, key, hash, stationId)
    if (station && !station.claimed) {
      const prior = await trx('idempotency_keys').where({ user_id: user.id, key }).first()
      if (prior.request_hash !== hash) {
        throw new HttpError(
          422,
          'Unprocessable Content',
          'This Idempotency-Key was already used for a different request',
        )
      }
      return { status: prior.status_code, body: prior.response }
    }
    if (!station) throw notFound(`Station ${stationId} does not exist`)
    checkReport(station, user, body, ifMatch)

    const version = (station.version ?? 0) + 1
    // The clock is read under the lock, and never before the previous version's time: a report
    // that waited for it must not go back in time (and close an alert before it opened). +1 ms,
    // the precision we store, keeps the order under a pinned clock.
    const rules = statusRules()
    const previous = station.reported_at ? new Date(station.reported_at).getTime() + 1 : 0
    const reportedAt = new Date(Math.max(rules.now.getTime(), previous))
    const charging = body.charging_points_in_use ?? station.charging_points_in_use
    // One row: the final SELECT of the statement aggregates.
    const [written] = (await queryPrepared<WriteResult>(
      trx,
      trx.raw(applyReportSql, {
        station_id: stationId,
        user_id: user.id,
        occupancy: body.occupancy,
        charging,
        reported_charging: body.charging_points_in_use ?? null,
        supplies: JSON.stringify(body.supplies ?? {}),
        note: body.note ?? null,
        at: reportedAt,
        version,
      }),
    )) as [WriteResult]
    const { claimed: _claimed, manages: _manages, ...row } = station
    const updated = toStation(
      {
        ...row,
        occupancy: body.occupancy,
        charging_points_in_use: charging,
        reported_at: reportedAt,
        version,
        supplies: { ...written.supplies_before, ...written.supplies_written },
      },
      // Derived at the report's own time, so it is fresh even when the clock lags the history.
      { ...rules, now: reportedAt },
    )
    const alerts = written.opened.map((a) =>
      toAlertEvent({ ...a, station_id: stationId, station_name: station.name }),
    )
    await queryPrepared(
      trx,
      trx('idempotency_keys')
        .where({ user_id: user.id, key })
        .update({ status_code: 201, response: JSON.stringify(updated) }),
    )
    return { status: 201, body: updated, accepted: { station: updated, alerts } }
  })
}

interface AlertRow {
  id: number
  station_id: number
  station_name: string
  item: Supply
  level: number
  threshold: number
  opened_at: Date
}

const toAlertEvent = (a: AlertRow): SupplyLowEvent => ({
  alert_id: a.id,
  station_id: a.station_id,
  station_name: a.station_name,
  item: a.item,
  level: a.level,
  threshold: a.threshold,
  opened_at: new Date(a.opened_at).toISOString(),
})

export async function openAlerts(knex: Knex, user: AuthUser): Promise<SupplyLowEvent[]> {
  const q = knex('supply_alerts as a')
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
    .whereNull('a.closed_at')
    .orderBy('a.id')
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

export async function busyHours(knex: Knex, stationId: number, weeks: number, now: Date) {
  const station = await knex('stations').select('id', 'timezone').where({ id: stationId }).first()
  if (!station) throw notFound(`Station ${stationId} does not exist`)
  const { rows } = await knex.raw(
    `SELECT extract(isodow FROM r.reported_at AT TIME ZONE s.timezone)::int AS weekday,
            extract(hour FROM r.reported_at AT TIME ZONE s.timezone)::int AS hour,
            round(avg(r.occupancy)::numeric, 2)::float8 AS mean_occupancy,
            count(*)::int AS reports
       FROM status_reports r JOIN stations s ON s.id = r.station_id
      WHERE r.station_id = ? AND r.reported_at >= ? AND r.reported_at <= ?
      GROUP BY 1, 2 ORDER BY 1, 2`,
    [stationId, new Date(now.getTime() - weeks * 7 * 86_400_000), now],
  )
  return { station_id: stationId, timezone: station.timezone, weeks, hours: rows }
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
