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

/** Coloured dot and words: "Seats free", or "No recent report" when the counts are too old. */
export function availabilityLine(status: StationStatus, className = 'availability'): HTMLElement {
  const label = t().availability[status.availability] + (status.stale ? ` · ${t().stale}` : '')
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
