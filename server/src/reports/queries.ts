import crypto from 'node:crypto'
import type { Knex } from 'knex'
import { HttpError, badRequest, forbidden, notFound } from '../errors.ts'
import type { AuthUser } from '../auth/queries.ts'
import { findById, type Station, type StatusRules } from '../stations/queries.ts'
import type { SupplyLowEvent } from '../live/events.ts'
import type { Supply } from '../stations/vocabulary.ts'
import { keysetPage } from '../http/paging.ts'
import type { HistoryQuery, ReportBody } from './schema.ts'

/** Highest occupancy a report may give: seats can be exceeded by people standing, within reason. */
export const maxOccupancy = (capacity: number) => capacity * 2 + 10

export async function mayManage(knex: Knex, user: AuthUser, stationId: number): Promise<boolean> {
  if (user.role === 'admin') return true
  if (user.role !== 'manager') return false
  return Boolean(
    await knex('station_managers').where({ user_id: user.id, station_id: stationId }).first(),
  )
}

async function stationForReport(trx: Knex, stationId: number) {
  // Locks the status row: reports for one station are applied one at a time, in order.
  const row = await trx('stations as s')
    .join('station_status as st', 'st.station_id', 's.id')
    .select(
      's.id',
      's.name',
      's.state',
      's.capacity',
      's.charging_points',
      'st.version',
      'st.charging_points_in_use',
    )
    .where('s.id', stationId)
    .forUpdate('st')
    .first()
  if (!row) throw notFound(`Station ${stationId} does not exist`)
  return row as {
    id: number
    name: string
    state: string
    capacity: number
    charging_points: number
    version: number
    charging_points_in_use: number
  }
}

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

/**
 * Applies one report exactly once per (user, Idempotency-Key): status update, history row and
 * low-stock alerts in one transaction, with the answer stored under the key.
 */
export async function submitReport(
  knex: Knex,
  args: { user: AuthUser; stationId: number; key: string; ifMatch?: number; body: ReportBody },
  rules: StatusRules,
): Promise<ReportOutcome> {
  const { user, stationId, key, ifMatch, body } = args
  const hash = requestHash(stationId, body, ifMatch)
  return knex.transaction(async (trx) => {
    // Claims the key. A concurrent request with the same key blocks here until the first commits,
    // then sees its row; if the first rolls back, this one claims the key instead.
    const claimed = await trx('idempotency_keys')
      .insert({ user_id: user.id, key, request_hash: hash, status_code: 0, response: '{}' })
      .onConflict(['user_id', 'key'])
      .ignore()
      .returning('key')
    if (claimed.length === 0) {
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

    const station = await stationForReport(trx, stationId)
    if (!(await mayManage(trx, user, stationId))) throw forbidden('You do not manage this station')
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

    const version = station.version + 1
    const reportedAt = rules.now
    const charging = body.charging_points_in_use ?? station.charging_points_in_use
    await trx('station_status').where({ station_id: stationId }).update({
      occupancy: body.occupancy,
      charging_points_in_use: charging,
      reported_at: reportedAt,
      reported_by: user.id,
      version,
    })
    const supplies = Object.entries(body.supplies ?? {}) as [Supply, number][]
    if (supplies.length) {
      await trx('station_supplies')
        .insert(
          supplies.map(([item, level]) => ({
            station_id: stationId,
            item,
            level,
            updated_at: reportedAt,
          })),
        )
        .onConflict(['station_id', 'item'])
        .merge(['level', 'updated_at'])
    }
    await trx('status_reports').insert({
      station_id: stationId,
      occupancy: body.occupancy,
      charging_points_in_use: body.charging_points_in_use ?? null,
      supplies: JSON.stringify(Object.fromEntries(supplies)),
      note: body.note ?? null,
      reported_by: user.id,
      reported_at: reportedAt,
      version,
    })
    const alerts = await updateAlerts(
      trx,
      station,
      supplies.map(([item]) => item),
      reportedAt,
    )
    const updated = await findById(trx, stationId, rules)
    await trx('idempotency_keys')
      .where({ user_id: user.id, key })
      .update({ status_code: 201, response: JSON.stringify(updated) })
    return { status: 201, body: updated, accepted: { station: updated, alerts } }
  })
}

/** Opens an alert for each reported supply now below its threshold with none open; closes restocked ones. */
async function updateAlerts(
  trx: Knex.Transaction,
  station: { id: number; name: string },
  items: Supply[],
  at: Date,
): Promise<SupplyLowEvent[]> {
  if (!items.length) return []
  await trx('supply_alerts')
    .whereNull('closed_at')
    .where('station_id', station.id)
    .whereIn(
      'item',
      trx('station_supplies')
        .select('item')
        .where('station_id', station.id)
        .whereIn('item', items)
        .whereRaw('level >= low_threshold'),
    )
    .update({ closed_at: at })
  const opened: { id: number; item: Supply; level: number; threshold: number; opened_at: Date }[] =
    (
      await trx.raw(
        `INSERT INTO supply_alerts (station_id, item, level, threshold, opened_at)
       SELECT station_id, item, level, low_threshold, ? FROM station_supplies
        WHERE station_id = ? AND item = ANY(?::text[]) AND level < low_threshold
       ON CONFLICT (station_id, item) WHERE closed_at IS NULL DO NOTHING
       RETURNING id, item, level, threshold, opened_at`,
        [at, station.id, items],
      )
    ).rows
  return opened.map((a) =>
    toAlertEvent({ ...a, station_id: station.id, station_name: station.name }),
  )
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
    q.whereIn(
      'a.station_id',
      knex('station_managers').select('station_id').where('user_id', user.id),
    )
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
  if (q.cursor) query.where('r.id', '<', Number(q.cursor))
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
