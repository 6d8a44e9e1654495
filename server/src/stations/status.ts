import { isOpenAt, nextChangeAt } from './openingHours.ts'
import type { Availability, Supply } from '../../../contract/vocabulary.ts'
import type { LiveStatus } from '../../../contract/live-events.ts'

export interface StatusInput {
  state: string
  capacity: number
  opening_hours: string
  timezone: string
  occupancy: number | null
  charging_points_in_use: number | null
  reported_at: Date | string | null
  version: number | null
  supplies: Record<string, [level: number, threshold: number]> | null
}

/** The time a status is judged at, and how old a report may be before it is stale. */
export interface StatusRules {
  now: Date
  staleAfterMs: number
}

export const statusRules =
  (staleAfterMinutes: number, clock: () => Date = () => new Date()) =>
  (): StatusRules => ({ now: clock(), staleAfterMs: staleAfterMinutes * 60_000 })

/** The one place the derived status rules live; API, tiles and sockets all call it. */
export function deriveStatus(row: StatusInput, now: Date, staleAfterMs: number): LiveStatus {
  const occupancy = row.occupancy ?? 0
  const reportedAt = row.reported_at ? new Date(row.reported_at) : null
  const stale = !reportedAt || now.getTime() - reportedAt.getTime() > staleAfterMs
  const openNow = row.state === 'active' && isOpenAt(row.opening_hours, row.timezone, now)
  // a temporarily closed station opens when its manager says so, not by its hours
  const next =
    row.state === 'active'
      ? nextChangeAt(row.opening_hours, row.timezone, now)?.toISOString()
      : null
  const availability = availabilityOf(row.state, openNow, stale, occupancy, row.capacity)
  const supplies: LiveStatus['supplies'] = {}
  for (const [item, [level, threshold]] of Object.entries(row.supplies ?? {})) {
    // the database accepts only the vocabulary's supplies
    supplies[item as Supply] = { level, low: level < threshold }
  }
  return {
    occupancy,
    charging_points_in_use: row.charging_points_in_use ?? 0,
    available_spaces: Math.max(row.capacity - occupancy, 0),
    open_now: openNow,
    closes_at: openNow ? (next ?? null) : null,
    opens_at: openNow ? null : (next ?? null),
    stale,
    availability,
    reported_at: reportedAt ? reportedAt.toISOString() : null,
    version: row.version ?? 0,
    supplies,
  }
}

/** What a courier sees first: whether a station will take them now. */
export function availabilityOf(
  state: string,
  openNow: boolean,
  stale: boolean,
  occupancy: number,
  capacity: number,
): Availability {
  if (state !== 'active') return 'temporarily_closed'
  if (!openNow) return 'closed'
  if (stale) return 'unknown'
  return occupancy >= capacity ? 'full' : 'open'
}

/** nextChangeAt's null says no opening or closing within a week; a day bounds the answer. */
const MAX_UNCHANGED_MS = 86_400_000

/**
 * The first instant after `now` at which deriveStatus's answer for this row may change by the
 * clock alone (turning stale, opening, closing), in epoch ms: what a copy of the derived
 * status may be kept until, as long as the row itself does not change.
 */
export const statusChangesAt = (row: StatusInput, now: Date, staleAfterMs: number) =>
  statusesChangeAt(
    now,
    staleAfterMs,
    row.reported_at,
    row.state === 'active' ? [[row.opening_hours, row.timezone]] : [],
  )

/**
 * statusChangesAt for many stations at once: given their oldest report (only the ones not
 * stale yet count) and the (opening_hours, timezone) of the active ones.
 */
export function statusesChangeAt(
  now: Date,
  staleAfterMs: number,
  oldestReport: Date | string | null,
  schedules: Iterable<readonly [hours: string, timeZone: string]>,
): number {
  let at = now.getTime() + MAX_UNCHANGED_MS
  for (const [hours, timeZone] of schedules) {
    const next = nextChangeAt(hours, timeZone, now)
    if (next) at = Math.min(at, next.getTime())
  }
  if (oldestReport) {
    // stale once more than staleAfterMs old, that is a millisecond after the limit
    const staleAt = new Date(oldestReport).getTime() + staleAfterMs + 1
    if (staleAt > now.getTime()) at = Math.min(at, staleAt)
  }
  return at
}
