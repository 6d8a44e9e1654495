import type { NearStation } from '../shared/api.ts'
import { el } from '../shared/dom.ts'
import { amenityIcon } from '../shared/icons.ts'
import { t } from '../shared/i18n.ts'
import {
  availabilityLine,
  chargersText,
  hoursNote,
  lowSupplyBadges,
  seatsText,
} from '../shared/status.ts'

/** The inside of one row of the nearest list; rebuilt in place when a live status arrives. */
export function fillStationItem(
  item: HTMLButtonElement,
  station: NearStation,
  rank: number,
): HTMLButtonElement {
  const { status } = station
  const chargers = chargersText(station)
  const hours = hoursNote(station)
  // a station closed by its hours says when it opens in place of "closed"
  const closed = status.availability === 'closed'
  const facts = el(
    'span',
    'item-status',
    availabilityLine(status, 'availability', closed ? hours?.text : undefined),
  )
  if (hours && !closed)
    facts.append(el('span', hours.soon ? 'item-hours hours-soon' : 'item-hours', hours.text))
  facts.append(el('span', '', seatsText(status, station.capacity)))
  if (chargers) facts.append(el('span', '', chargers))
  const extras = el(
    'span',
    'item-extras',
    ...station.amenities.map(amenityIcon),
    ...lowSupplyBadges(status),
  )
  const number = el('span', 'rank', String(rank))
  number.setAttribute('aria-hidden', 'true')
  item.replaceChildren(
    number,
    el(
      'span',
      'item-main',
      el(
        'span',
        'item-head',
        el('span', 'item-name', station.name),
        el('span', 'item-distance', t().distance(station.distance_m)),
      ),
      facts,
      extras,
    ),
  )
  item.dataset.stationId = String(station.id)
  item.dataset.version = String(status.version)
  item.dataset.availability = status.availability
  item.dataset.stale = String(status.stale)
  return item
}

export function stationItem(
  station: NearStation,
  rank: number,
  open: (id: number) => void,
): HTMLLIElement {
  const item = el('button', 'station-item')
  item.type = 'button'
  item.addEventListener('click', () => open(station.id))
  return el('li', '', fillStationItem(item, station, rank))
}
