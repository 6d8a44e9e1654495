import type { Station } from '../shared/api.ts'
import { el } from '../shared/dom.ts'
import { amenityIcon } from '../shared/icons.ts'
import { dateTime, openingHours, t, timeAgo } from '../shared/i18n.ts'
import {
  availabilityLine,
  chargersText,
  hoursNote,
  reportedSupplies,
  seatsText,
} from '../shared/status.ts'
import { navigationLinks, type NavApp } from './navigate.ts'

function details(station: Station): HTMLElement {
  const list = el('dl', 'card-details')
  const row = (term: string, value: string | Node) =>
    list.append(el('dt', '', term), el('dd', '', value))
  const open = station.status.open_now ? t().openNow : t().closedNow
  row(t().openingHours, `${openingHours(station.opening_hours)} · ${open}`)
  if (station.phone) {
    const call = el('a', 'phone-link', station.phone)
    call.href = `tel:${station.phone.replace(/[^\d+]/g, '')}`
    row(t().phone, call)
  }
  if (station.address) row(t().address, station.address)
  const reported = station.status.reported_at
  const when = el('span', 'reported-at', reported ? timeAgo(reported) : t().neverReported)
  if (reported) when.title = dateTime(reported)
  row(t().reported, when)
  return list
}

function supplies(station: Station): HTMLElement {
  const rows = reportedSupplies(station.status).map(([item, s]) => {
    const bar = el('span', 'meter')
    const fill = el('span', 'meter-fill')
    fill.style.width = `${s.level}%`
    bar.append(fill)
    const row = el(
      'li',
      s.low ? 'supply supply-low' : 'supply',
      el('span', 'supply-name', t().supplies[item]),
      bar,
      el('span', 'supply-level', s.low ? `${s.level}% · ${t().low}` : `${s.level}%`),
    )
    row.dataset.supply = item
    return row
  })
  return rows.length ? el('ul', 'supplies', ...rows) : el('p', 'muted', t().noSupplies)
}

function navigation(station: Station): HTMLElement {
  const links = navigationLinks(station)
  const apps: NavApp[] = ['amap', 'baidu', 'osm']
  return el(
    'div',
    'nav-apps',
    ...apps.map((app) => {
      const link = el('a', `nav-app nav-app-${app}`, t().navApps[app])
      link.href = links[app]
      link.target = '_blank'
      link.rel = 'noopener noreferrer'
      return link
    }),
  )
}

/** Everything a courier wants to know about one station, and how to get there. */
export function stationCard(
  station: Station,
  distance: number | null,
  back: () => void,
): HTMLElement {
  const backButton = el('button', 'back-button', `← ${t().back}`)
  backButton.type = 'button'
  backButton.addEventListener('click', back)
  const where = [station.code, station.district || station.city]
  if (distance !== null) where.push(t().distance(distance))
  const hours = hoursNote(station)
  const closed = station.status.availability === 'closed'
  const status = el(
    'div',
    'card-status',
    availabilityLine(
      station.status,
      'availability availability-large',
      closed ? hours?.text : undefined,
    ),
  )
  if (hours && !closed)
    status.append(el('p', hours.soon ? 'card-hours hours-soon' : 'card-hours', hours.text))
  status.append(el('p', 'card-seats', seatsText(station.status, station.capacity)))
  const chargers = chargersText(station)
  if (chargers) status.append(el('p', 'card-chargers', chargers))
  const amenities = el(
    'ul',
    'amenity-list',
    ...station.amenities.map((a) => el('li', '', amenityIcon(a), t().amenities[a])),
  )
  const card = el(
    'article',
    'station-card',
    backButton,
    el('h2', 'card-name', station.name),
    el('p', 'card-where', where.join(' · ')),
    status,
    details(station),
    el('h3', '', t().navigateTitle),
    navigation(station),
    el('h3', '', t().suppliesTitle),
    supplies(station),
    el('h3', '', t().amenitiesTitle),
    amenities,
  )
  card.dataset.stationId = String(station.id)
  card.dataset.version = String(station.status.version)
  return card
}
