import { Popup, type LngLatLike, type Map } from 'maplibre-gl'
import type { Availability } from '../../server/src/stations/vocabulary.ts'
import { getStation, type Station, type StationStatus } from './api.ts'
import { dot, el } from './dom.ts'
import { onLangChange, t, timeAgo } from './i18n.ts'
import { AVAILABILITY_COLORS, STALE_COLOR, type StationTileProperties } from './stations.ts'

interface Shown {
  tile: StationTileProperties
  detail: Station | null
  failed: boolean
}

function availabilityLine(availability: Availability, stale: boolean): HTMLElement {
  const label = t().availability[availability] + (stale ? ` · ${t().stale}` : '')
  const color = stale ? STALE_COLOR : AVAILABILITY_COLORS[availability]
  return el('p', 'station-availability', dot(color), label)
}

function seats(
  status: Pick<StationStatus, 'availability' | 'stale' | 'available_spaces'>,
  capacity: number,
): string {
  // free seats only mean something for a station that is open and has reported recently
  const counted =
    !status.stale && (status.availability === 'open' || status.availability === 'full')
  return counted ? t().freeSeats(status.available_spaces, capacity) : t().seats(capacity)
}

function details(station: Station): HTMLElement {
  const list = el('dl', 'station-details')
  const row = (term: string, value: string) => list.append(el('dt', '', term), el('dd', '', value))
  if (station.address) row(t().address, station.address)
  const openNow = station.status.open_now ? t().openNow : t().closedNow
  row(t().openingHours, `${station.opening_hours} · ${openNow}`)
  const reported = station.status.reported_at
  row(t().reported, reported ? timeAgo(reported) : t().neverReported)
  return list
}

function content({ tile, detail, failed }: Shown): HTMLElement {
  // the detail is fresher than the tile, which may come from a cache
  const status = detail?.status ?? tile
  const capacity = detail?.capacity ?? tile.capacity
  const card = el(
    'div',
    'station-card',
    el('h3', 'station-name', detail?.name ?? tile.name),
    el('p', 'station-code', detail?.code ?? tile.code),
    availabilityLine(status.availability, status.stale),
    el('p', 'station-seats', seats(status, capacity)),
  )
  if (detail) card.append(details(detail))
  else card.append(el('p', 'station-note', failed ? t().detailsFailed : t().loading))
  return card
}

/** One popup for the station last clicked; it fetches the details and follows the language. */
export class StationPopup {
  private readonly map: Map
  private readonly popup = new Popup({ maxWidth: '300px', className: 'station-popup' })
  private shown: Shown | null = null

  constructor(map: Map) {
    this.map = map
    this.popup.on('close', () => {
      this.shown = null
    })
    onLangChange(() => this.render())
  }

  open(tile: StationTileProperties, at: LngLatLike): void {
    const shown: Shown = { tile, detail: null, failed: false }
    this.shown = shown
    this.popup.setLngLat(at)
    this.render()
    if (!this.popup.isOpen()) this.popup.addTo(this.map)
    getStation(tile.id).then(
      (detail) => {
        shown.detail = detail
        this.render()
      },
      (err: unknown) => {
        console.warn(`station ${tile.id} details unavailable: ${String(err)}`)
        shown.failed = true
        this.render()
      },
    )
  }

  private render(): void {
    if (this.shown) this.popup.setDOMContent(content(this.shown))
  }
}
