import { SUPPLIES, type Supply } from '../../../contract/vocabulary.ts'
import type { Station, StationStatus } from './api.ts'
import { dot, el } from './dom.ts'
import { t } from './i18n.ts'
import type { StationStatusEvent } from './live.ts'
import { statusColor } from './stations.ts'

/** The station with the live status when that is newer than the one it came with. */
export function withLatest<T extends Station>(station: T, live: StationStatusEvent | undefined): T {
  if (!live || live.version <= station.status.version) return station
  const { id: _id, capacity, charging_points, location: _location, ...status } = live
  return { ...station, capacity, charging_points, status }
}

/**
 * Coloured dot and words: "Seats free", or "No recent report" when the counts are too old.
 * `words` replaces the availability's own, e.g. with when a closed station opens.
 */
export function availabilityLine(
  status: StationStatus,
  className = 'availability',
  words = t().availability[status.availability],
): HTMLElement {
  const label = words + (status.stale ? ` · ${t().stale}` : '')
  const line = el('span', className, dot(statusColor(status)), label)
  line.dataset.availability = status.availability
  return line
}

/** Free seats only mean something for a station that is open and has reported recently. */
export function seatsText(status: StationStatus, capacity: number): string {
  const counted =
    !status.stale && (status.availability === 'open' || status.availability === 'full')
  return counted ? t().freeSeats(status.available_spaces, capacity) : t().seats(capacity)
}

export function chargersText(station: Station): string | null {
  if (!station.charging_points) return null
  const free = Math.max(0, station.charging_points - station.status.charging_points_in_use)
  return t().chargersFree(free, station.charging_points)
}

/** The supplies a station reports, in vocabulary order. */
export function reportedSupplies(
  status: StationStatus,
): [Supply, { level: number; low: boolean }][] {
  return SUPPLIES.flatMap((item) => {
    const s = status.supplies[item]
    return s ? [[item, s] as [Supply, { level: number; low: boolean }]] : []
  })
}

/** A red badge per supply that is running low. */
export function lowSupplyBadges(status: StationStatus): HTMLElement[] {
  return reportedSupplies(status)
    .filter(([, s]) => s.low)
    .map(([item]) => {
      const badge = el('span', 'badge badge-low', t().supplyLow(t().supplies[item]))
      badge.dataset.supply = item
      return badge
    })
}

/** Under this many minutes to closing, a rider may not make it: the note stands out. */
const SOON_MINUTES = 15

const dayFormats = new Map<string, Intl.DateTimeFormat>()

/** The day (days since 1970) and hh:mm that the clocks of `timeZone` show at `at`. */
function wallClock(at: number, timeZone: string): { day: number; time: string } {
  let format = dayFormats.get(timeZone)
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    })
    dayFormats.set(timeZone, format)
  }
  const p = Object.fromEntries(format.formatToParts(at).map((x) => [x.type, x.value]))
  const day = Date.UTC(Number(p.year), Number(p.month) - 1, Number(p.day)) / 86_400_000
  return { day, time: `${p.hour}:${p.minute}` }
}

/** "07:00", "tomorrow 07:00" or "Mon 07:00", on the station's clock (its opening hours' own). */
function clockTime(iso: string, timeZone: string, now: number): string {
  const at = wallClock(Date.parse(iso), timeZone)
  const days = at.day - wallClock(now, timeZone).day
  if (days <= 0) return at.time
  // closing at midnight is closing at the end of today
  if (days === 1 && at.time === '00:00') return '24:00'
  if (days === 1) return `${t().tomorrow} ${at.time}`
  const weekday = (new Date(at.day * 86_400_000).getUTCDay() + 6) % 7
  return `${t().weekdays[weekday]} ${at.time}`
}

export interface HoursNote {
  text: string
  /** Closing within a quarter of an hour, or already past its closing time. */
  soon: boolean
}

/**
 * When a station closes or opens, as a rider needs to know it: "Closes in 12 min" (under an
 * hour), "Open until 22:00", "Open 24 h", "Closed · opens 07:00". null for a temporarily closed
 * station: it opens when its manager says so.
 */
export function hoursNote(
  station: Pick<Station, 'status' | 'timezone'>,
  now = Date.now(),
): HoursNote | null {
  const { status, timezone } = station
  if (status.open_now) {
    if (!status.closes_at) return { text: t().openAllDay, soon: false }
    const minutes = Math.ceil((Date.parse(status.closes_at) - now) / 60_000)
    // the status was fetched before its closing time, which has passed since
    if (minutes <= 0) return { text: t().closedShort, soon: true }
    if (minutes < 60) return { text: t().closesIn(minutes), soon: minutes <= SOON_MINUTES }
    return { text: t().openUntil(clockTime(status.closes_at, timezone, now)), soon: false }
  }
  if (status.availability !== 'closed') return null
  const opens = status.opens_at
  return {
    text: opens ? t().closedOpens(clockTime(opens, timezone, now)) : t().closedShort,
    soon: false,
  }
}
