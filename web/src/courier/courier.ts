import 'maplibre-gl/dist/maplibre-gl.css'
import { Marker } from 'maplibre-gl'
import type { Availability } from '../../../contract/vocabulary.ts'
import {
  getMeta,
  getNearest,
  getStation,
  NEAREST_LIMIT,
  type Meta,
  type NearStation,
  type Station,
} from '../shared/api.ts'
import { button, dot, el } from '../shared/dom.ts'
import { locateIcon } from '../shared/icons.ts'
import { onLangChange, t } from '../shared/i18n.ts'
import { LiveClient, type StationStatusEvent } from '../shared/live.ts'
import { livePill } from '../shared/livePill.ts'
import { StationMap, type LngLat } from '../shared/map.ts'
import { makeSheet, PHONE_QUERY, type Sheet } from '../shared/sheet.ts'
import {
  AVAILABILITY_COLORS,
  STALE_COLOR,
  statusColor,
  type StationTileProperties,
} from '../shared/stations.ts'
import { withLatest } from '../shared/status.ts'
import { stationCard } from './card.ts'
import { Filters } from './filters.ts'
import { fillStationItem, stationItem } from './list.ts'
import { RequestForm } from './request.ts'

/** Below this zoom (a view wider than a city) the map does not follow live updates. */
const LIVE_MIN_ZOOM = 9
/** Zoom at which the tiles stop merging nearby stations into one dot (see the tile SQL). */
const SINGLE_STATION_ZOOM = 12

type Mode = 'list' | 'card' | 'request'
type Search = 'idle' | 'searching' | 'failed' | 'done'

export async function startCourier(main: HTMLElement): Promise<void> {
  // the map waits for meta (at most a few seconds) so that it starts with the right basemap
  const meta = await getMeta()
  new Courier(main, meta)
}

const LEGEND_ORDER: Availability[] = ['open', 'full', 'closed', 'temporarily_closed', 'unknown']

function legend(meta: Meta | null): HTMLElement {
  const box = el('details', 'legend')
  box.open = !window.matchMedia(PHONE_QUERY).matches
  onLangChange(() => {
    const items = LEGEND_ORDER.map((a) =>
      el('li', '', dot(AVAILABILITY_COLORS[a]), t().availability[a]),
    )
    items.push(el('li', '', dot(STALE_COLOR), t().stale))
    const body = [el('summary', '', t().legendTitle), el('ul', '', ...items)]
    if (meta) body.push(el('p', 'legend-count', t().stationCount(meta.stations)))
    box.replaceChildren(...body)
  })
  return box
}

class Courier {
  private readonly map: StationMap
  private readonly live: LiveClient
  private readonly sheet: Sheet
  private readonly filters: Filters
  private readonly request: RequestForm
  private readonly views: Record<Mode, HTMLElement>
  private readonly locateButton = el('button', 'primary-button locate-button')
  private readonly locateNote = el('p', 'locate-note')
  private readonly resultsSection = el('section', 'results')
  private readonly pins = new Map<number, Marker>()

  private mode: Mode = 'list'
  private origin: { at: LngLat; from: 'gps' | 'tap' } | null = null
  private stations: NearStation[] = []
  private search: Search = 'idle'
  private searchRound = 0
  private cardRound = 0
  private locating = false
  private geoProblem: string | null = null
  private card: { station: Station | null; tile?: StationTileProperties; failed?: boolean } | null =
    null

  constructor(main: HTMLElement, meta: Meta | null) {
    this.filters = new Filters(() => {
      if (this.origin) void this.find()
    })
    this.request = new RequestForm({
      back: () => this.setMode('list'),
      locate: () => this.locate(),
    })

    this.locateButton.type = 'button'
    this.locateButton.addEventListener('click', () => void this.locateAndFind())
    this.locateNote.setAttribute('role', 'status')
    const requestOpen = button('secondary-button request-open', '', () => this.openRequest())
    const listView = el(
      'div',
      'panel-view',
      el('section', 'search', this.locateButton, this.locateNote),
      this.filters.element,
      this.resultsSection,
      requestOpen,
    )
    this.views = {
      list: listView,
      card: el('div', 'panel-view'),
      request: el('div', 'panel-view', this.request.element),
    }
    const panel = el('aside', 'panel', ...Object.values(this.views))
    this.sheet = makeSheet(panel)

    const mapContainer = el('div', '')
    mapContainer.id = 'map'
    const pill = livePill()
    main.append(
      panel,
      el('div', 'map-area', mapContainer, el('div', 'map-overlays', pill.element, legend(meta))),
    )

    this.map = new StationMap(mapContainer, meta, {
      station: (properties, at) => this.tapStation(properties, at),
      place: (at) => this.tapPlace(at),
      // zoomed out, live snapshots would be megabytes per pan for dots too small to tell apart
      view: (zoom, area) => this.live.watch(zoom < LIVE_MIN_ZOOM ? null : area ? [area] : []),
    })
    this.map.padding = () => ({ bottom: this.sheet.covered() })
    let reload: ReturnType<typeof setTimeout> | undefined
    this.live = new LiveClient({
      status: (s) => this.applyStatus(s),
      // an admin editing several stations in a row costs one reload
      changed: () => {
        clearTimeout(reload)
        reload = setTimeout(() => this.map.reloadStations(), 1_000)
      },
      state: (state) => pill.set(state),
    })

    onLangChange(() => {
      requestOpen.textContent = t().requestOpen
      this.render()
    })
    // a link to one station (/?station=42) opens its card
    const linked = Number(new URLSearchParams(location.search).get('station'))
    this.setMode('list')
    if (Number.isInteger(linked) && linked > 0) void this.openStation(linked)
    // report times say "5 minutes ago": keep them true
    setInterval(() => this.render(), 60_000)
  }

  private setMode(mode: Mode): void {
    this.mode = mode
    this.map.pickPlaces = mode === 'request'
    for (const [name, view] of Object.entries(this.views)) view.hidden = name !== mode
    if (mode !== 'card') {
      this.card = null
      this.map.select(null)
      this.setUrlStation(null)
    }
    const point = this.origin?.at ?? null
    if (mode === 'request') this.request.start(point)
    this.map.setPoint(point, mode === 'request' ? 'request' : 'search')
    this.render()
  }

  private render(): void {
    this.renderSearch()
    this.renderResults()
    this.renderCard()
    if (this.mode === 'request') this.request.render()
  }

  private renderSearch(): void {
    this.locateButton.replaceChildren(locateIcon(), this.locating ? t().locating : t().locate)
    this.locateButton.disabled = this.locating
    this.locateNote.textContent = this.geoProblem ?? t().orTapMap
    this.locateNote.classList.toggle('notice-error', this.geoProblem !== null)
  }

  private renderResults(): void {
    const section = this.resultsSection
    if (!this.origin) return section.replaceChildren()
    const heading = el(
      'h2',
      '',
      this.origin.from === 'gps' ? t().nearestFromMe : t().nearestFromPoint,
    )
    const status = el('p', 'results-status')
    status.setAttribute('role', 'status')
    section.dataset.state = this.search
    if (this.search === 'searching') {
      status.textContent = t().searching
      return section.replaceChildren(heading, status)
    }
    if (this.search === 'failed') {
      status.textContent = t().searchFailed
      status.classList.add('notice-error')
      return section.replaceChildren(
        heading,
        status,
        button('secondary-button', t().retry, () => void this.find()),
      )
    }
    if (!this.stations.length) {
      status.textContent = t().noResults
      const parts: Node[] = [heading, status]
      if (this.filters.active)
        parts.push(button('secondary-button', t().clearFilters, () => this.filters.clear()))
      return section.replaceChildren(...parts)
    }
    status.textContent = t().resultsHint
    const list = el(
      'ol',
      'station-list',
      ...this.stations.map((s, i) => stationItem(s, i + 1, (id) => void this.openStation(id))),
    )
    section.replaceChildren(heading, status, list)
  }

  private renderCard(): void {
    for (const station of this.stations) this.paintPin(station)
    const view = this.views.card
    if (!this.card) return view.replaceChildren()
    const { station, tile, failed } = this.card
    const back = () => this.setMode('list')
    if (station) {
      const listed = this.stations.find((s) => s.id === station.id)
      view.replaceChildren(stationCard(station, listed?.distance_m ?? null, back))
      return
    }
    // the tile already knows the name and state; the rest is on its way
    const placeholder = el(
      'article',
      'station-card',
      button('back-button', `← ${t().back}`, back),
      el('h2', 'card-name', tile?.name ?? ''),
      el('p', failed ? 'notice notice-error' : 'muted', failed ? t().detailsFailed : t().loading),
    )
    view.replaceChildren(placeholder)
  }

  private tapStation(properties: StationTileProperties, at: LngLat): void {
    const zoom = this.map.map.getZoom()
    // below this zoom one dot may stand for several stations: show them apart first
    if (properties.point_count > 1 && zoom < SINGLE_STATION_ZOOM) {
      this.map.map.easeTo({
        center: [at.lon, at.lat],
        zoom: Math.min(zoom + 2, SINGLE_STATION_ZOOM),
      })
      return
    }
    void this.openStation(properties.id, false, properties)
  }

  private tapPlace(at: LngLat): void {
    if (this.mode === 'request') {
      this.request.setPlace(at)
      this.map.setPoint(at, 'request')
      return
    }
    this.origin = { at, from: 'tap' }
    this.setMode('list')
    void this.find()
  }

  private async openStation(id: number, move = true, tile?: StationTileProperties): Promise<void> {
    const round = ++this.cardRound
    const listed = this.stations.find((s) => s.id === id) ?? null
    this.card = { station: listed, tile }
    this.setMode('card')
    this.map.select(id)
    this.setUrlStation(id)
    this.sheet.reveal()
    this.views.card.scrollTop = 0
    if (listed) {
      if (move) this.map.focus(listed.location)
      return
    }
    try {
      const station = withLatest(await getStation(id), this.live.latestOf(id))
      if (round !== this.cardRound || this.mode !== 'card') return
      this.card = { station }
      if (move) this.map.focus(station.location)
    } catch (err) {
      console.warn(`station ${id} unavailable: ${String(err)}`)
      if (round !== this.cardRound || this.mode !== 'card') return
      this.card = { station: null, tile, failed: true }
    }
    this.renderCard()
  }

  private openRequest(): void {
    this.setMode('request')
    this.sheet.reveal()
  }

  private setUrlStation(id: number | null): void {
    const url = new URL(location.href)
    if (id === null) url.searchParams.delete('station')
    else url.searchParams.set('station', String(id))
    if (url.href !== location.href) history.replaceState(null, '', url)
  }

  private locate(): Promise<LngLat | null> {
    if (!('geolocation' in navigator)) {
      this.geoProblem = t().geoUnsupported
      this.renderSearch()
      return Promise.resolve(null)
    }
    this.locating = true
    this.geoProblem = null
    this.renderSearch()
    return new Promise((resolve) => {
      navigator.geolocation.getCurrentPosition(
        (position) => {
          this.locating = false
          this.renderSearch()
          resolve({ lon: position.coords.longitude, lat: position.coords.latitude })
        },
        (err) => {
          this.locating = false
          this.geoProblem = err.code === err.PERMISSION_DENIED ? t().geoDenied : t().geoFailed
          this.renderSearch()
          resolve(null)
        },
        { enableHighAccuracy: true, timeout: 15_000, maximumAge: 30_000 },
      )
    })
  }

  private async locateAndFind(): Promise<void> {
    const at = await this.locate()
    if (!at) return
    this.origin = { at, from: 'gps' }
    this.setMode('list')
    await this.find()
  }

  /** The nearest stations to the origin, with the filters; the newest answer wins. */
  private async find(): Promise<void> {
    const origin = this.origin
    if (!origin) return
    const round = ++this.searchRound
    this.search = 'searching'
    this.map.setPoint(origin.at, this.mode === 'request' ? 'request' : 'search')
    this.renderResults()
    this.sheet.reveal()
    try {
      const found = await getNearest(origin.at, this.filters.value, NEAREST_LIMIT)
      if (round !== this.searchRound) return
      this.stations = found.map((s) => withLatest(s, this.live.latestOf(s.id)))
      this.search = 'done'
      this.map.show([origin.at, ...this.stations.map((s) => s.location)])
    } catch (err) {
      if (round !== this.searchRound) return
      console.warn(`nearest stations unavailable: ${String(err)}`)
      this.stations = []
      this.search = 'failed'
    }
    this.renderResults()
    this.placePins()
  }

  /** Numbered pins on the map for the listed stations, coloured by their state. */
  private placePins(): void {
    for (const pin of this.pins.values()) pin.remove()
    this.pins.clear()
    this.stations.forEach((station, i) => {
      const element = el('button', 'pin', String(i + 1))
      element.type = 'button'
      element.setAttribute('aria-label', station.name)
      element.addEventListener('click', (e) => {
        e.stopPropagation()
        void this.openStation(station.id, false)
      })
      // lifted by the height of the pin's point (app.css), which then touches the station
      const marker = new Marker({ element, anchor: 'bottom', offset: [0, -9] })
        .setLngLat([station.location.lon, station.location.lat])
        .addTo(this.map.map)
      this.pins.set(station.id, marker)
      this.paintPin(station)
    })
  }

  private paintPin(station: Station): void {
    const element = this.pins.get(station.id)?.getElement()
    if (!element) return
    element.dataset.stationId = String(station.id)
    element.dataset.availability = station.status.availability
    element.dataset.version = String(station.status.version)
    element.style.setProperty('--pin-color', statusColor(station.status))
    element.classList.toggle('pin-selected', this.card?.station?.id === station.id)
  }

  /** A newer status from /live: the map dot, the list row, the pin and the card follow it. */
  private applyStatus(status: StationStatusEvent): void {
    this.map.applyStatus(status)
    const index = this.stations.findIndex((s) => s.id === status.id)
    if (index >= 0) {
      const station = withLatest(this.stations[index]!, status)
      this.stations[index] = station
      const item = this.resultsSection.querySelector<HTMLButtonElement>(
        `.station-item[data-station-id="${status.id}"]`,
      )
      if (item) fillStationItem(item, station, index + 1)
      this.paintPin(station)
    }
    const shown = this.card?.station
    if (shown && shown.id === status.id) {
      this.card = { station: withLatest(shown, status) }
      this.renderCard()
    }
  }
}
