import crypto from 'node:crypto'
import type { Knex } from 'knex'
import { HttpError, badRequest, forbidden, notFound } from '../errors.ts'
import type { AuthUser } from '../auth/queries.ts'
import { toStation, type ReportedRow } from '../stations/queries.ts'
import type { StatusRules } from '../stations/status.ts'
import { mayManage } from '../stations/managers.ts'
import type { HistoryQuery, ReportBody } from './schema.ts'
import { DEFAULT_LOW_THRESHOLD } from '../../../contract/vocabulary.ts'
import {
  busyHourRows,
  readTarget,
  reportHistory,
  stationExists,
  stationTimezone,
  writeReport,
  type ReportTarget,
} from './queries.ts'

// What a report may do and what it answers: idempotency, authorization, 404/409/412/422.

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
  /** Set only when this request wrote the report (not for a replay): the station's live fields as committed. */
  accepted?: { alertsOpened: number; row: ReportedRow }
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
 * How often a report is decided again because another one for its station came first. Each
 * try fails only because another report was written, so a burst of n reports on one station
 * needs at most n tries; past this many, the client is asked to retry later.
 */
const MAX_TRIES = 100

/**
 * Applies one report exactly once per (user, Idempotency-Key): status update, history row,
 * low-stock alerts and the answer kept under the key. Two statements and no transaction: one
 * reads the station, this decides, and one writes it all if the status is still the one
 * decided on. If another report came first, it is decided again on what that one left.
 */
export async function submitReport(
  knex: Knex,
  args: { user: AuthUser; stationId: number; key: string; ifMatch?: number; body: ReportBody },
  statusRules: () => StatusRules,
): Promise<ReportOutcome> {
  const { user, stationId, key, ifMatch, body } = args
  const hash = requestHash(stationId, body, ifMatch)
  for (let tries = 0; tries < MAX_TRIES; tries++) {
    const station = await readTarget(knex, user, key, stationId)
    if (station?.prior) {
      if (station.prior.request_hash !== hash) {
        throw new HttpError(
          422,
          'Unprocessable Content',
          'This Idempotency-Key was already used for a different request',
        )
      }
      return { status: station.prior.status_code, body: station.prior.response }
    }
    if (!station) throw notFound(`Station ${stationId} does not exist`)
    checkReport(station, user, body, ifMatch)

    // Never before the previous version's time: under a pinned or lagging clock a report must
    // not go back in time (and close an alert before it opened). +1 ms, the precision we store.
    const rules = statusRules()
    const previous = station.reported_at ? new Date(station.reported_at).getTime() + 1 : 0
    const reportedAt = new Date(Math.max(rules.now.getTime(), previous))
    const charging = body.charging_points_in_use ?? station.charging_points_in_use ?? 0
    const { manages: _manages, prior: _prior, ...before } = station
    // An item the station never had gets a row with the column's default threshold.
    const written = Object.entries(body.supplies ?? {}).map(([item, level]) => [
      item,
      [level, station.supplies?.[item]?.[1] ?? DEFAULT_LOW_THRESHOLD],
    ])
    const row = {
      ...before,
      occupancy: body.occupancy,
      charging_points_in_use: charging,
      reported_at: reportedAt,
      version: (station.version ?? 0) + 1,
      supplies: { ...station.supplies, ...Object.fromEntries(written) },
    }
    // Derived at the report's own time, so it is fresh even when the clock lags the history.
    const updated = toStation(row, { ...rules, now: reportedAt })
    const applied = await writeReport(knex, {
      station_id: stationId,
      user_id: user.id,
      occupancy: body.occupancy,
      charging,
      reported_charging: body.charging_points_in_use ?? null,
      supplies: body.supplies ?? {},
      note: body.note ?? null,
      at: reportedAt,
      expected: station.version ?? 0,
      key,
      request_hash: hash,
      answer: updated,
    })
    if (applied) return { status: 201, body: updated, accepted: { ...applied, row } }
  }
  throw new HttpError(
    503,
    'Service Unavailable',
    'This station is taking many reports at once; send this one again shortly',
    undefined,
    { 'Retry-After': '1' },
  )
}

/** A station's report history: its managers, planners and admins. */
export async function historyFor(knex: Knex, user: AuthUser, stationId: number, q: HistoryQuery) {
  if (!(await stationExists(knex, stationId))) throw notFound(`Station ${stationId} does not exist`)
  if (user.role === 'manager' && !(await mayManage(knex, user, stationId)))
    throw forbidden('You do not manage this station')
  return reportHistory(knex, stationId, q)
}

export async function busyHours(knex: Knex, stationId: number, weeks: number, now: Date) {
  const timezone = await stationTimezone(knex, stationId)
  if (!timezone) throw notFound(`Station ${stationId} does not exist`)
  const from = new Date(now.getTime() - weeks * 7 * 86_400_000)
  return {
    station_id: stationId,
    timezone,
    weeks,
    hours: await busyHourRows(knex, stationId, {
      from,
      to: now,
      ...rollupHours(timezone, from, now),
    }),
  }
}

const HOUR_MS = 3_600_000

/**
 * The whole UTC hours of [from, to] that the hourly rollups may answer. A UTC hour is one
 * local hour only where the offset is whole hours (all of China's zones); elsewhere none.
 */
export function rollupHours(timezone: string, from: Date, to: Date) {
  const whole = [from, to].every((at) => utcOffsetMinutes(timezone, at) % 60 === 0)
  const hoursFrom = Math.ceil(from.getTime() / HOUR_MS) * HOUR_MS
  const hoursTo = Math.floor(to.getTime() / HOUR_MS) * HOUR_MS
  if (!whole || hoursFrom >= hoursTo) return { hoursFrom: to, hoursTo: to }
  return { hoursFrom: new Date(hoursFrom), hoursTo: new Date(hoursTo) }
}

function utcOffsetMinutes(timezone: string, at: Date): number {
  const name = new Intl.DateTimeFormat('en-US', { timeZone: timezone, timeZoneName: 'longOffset' })
    .formatToParts(at)
    .find((p) => p.type === 'timeZoneName')!.value
  const m = /GMT([+-])(\d{2}):(\d{2})/.exec(name)
  return m ? (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3])) : 0
}
