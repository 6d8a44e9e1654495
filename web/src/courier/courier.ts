import type { Availability } from '../../../contract/vocabulary.ts'
import {
  getMeta,
  getNearest,
  getStation,
  NEAREST_LIMIT,
  NetworkError,
  type Meta,
  type NearStation,
  type Station,
} from '../shared/api.ts'
import { button, dot, el } from '../shared/dom.ts'
import { locateIcon } from '../shared/icons.ts'
import { timeOfDay, onLangChange, t } from '../shared/i18n.ts'
import { LiveClient, type StationStatusEvent } from '../shared/live.ts'
import { livePill } from '../shared/livePill.ts'
import { placeSearch, viewArea, type Place } from '../shared/placeSearch.ts'
import type { LngLat } from '../shared/map.ts'
import { makeSheet, PHONE_QUERY, type Sheet } from '../shared/sheet.ts'
import { AVAILABILITY_COLORS, STALE_COLOR, type StationTileProperties } from '../shared/stations.ts'
import { withLatest } from '../shared/status.ts'
import { stationCard } from './card.ts'
import type { CourierMap } from './courierMap.ts'
import { Filters } from './filters.ts'
import {
  flushRequests,
  nearestFromCopy,
  type Origin,
  readCopy,
  readLastList,
  refreshCopy,
  saveLastList,
} from './offline.ts'
import { fillStationItem, stationItem } from './list.ts'
import { RequestForm } from './request.ts'

/** Below this zoom (a view wider than a city) the map does not follow live updates. */
const LIVE_MIN_ZOOM = 9
/** Zoom at which the tiles stop merging nearby stations into one dot (see the tile SQL). */
const SINGLE_STATION_ZOOM = 12
/** The offline copy is refreshed this long after the page has loaded, not during it. */
const COPY_DELAY_MS = 5_000

type Mode = 'list' | 'card' | 'request'
type Search = 'idle' | 'searching' | 'failed' | 'done'

export function startCourier(main: HTMLElement): void {
  new Courier(main)
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
  private map: CourierMap | null = null
  private readonly live: LiveClient
  private readonly sheet: Sheet
  private readonly filters: Filters
  private readonly request: RequestForm
  private readonly views: Record<Mode, HTMLElement>
  private readonly locateButton = el('button', 'primary-button locate-button')
  private readonly locateNote = el('p', 'locate-note')
  private readonly resultsSection = el('section', 'results')
  private readonly mapContainer = el('div', '')
  private readonly overlays: HTMLElement
  private mapLoading: Promise<void> | null = null
  private liveLost = false
  private offlineWithoutCopy = false

  private mode: Mode = 'list'
  private origin: Origin | null = null
  private stations: NearStation[] = []
  private search: Search = 'idle'
  private searchRound = 0
  /** Set while the list is not the server's answer just now: restored, or from the copy. */
  private asOf: { at: string; offline: boolean } | null = null
  private readonly notice = el('p', 'notice notice-ok')
  private cardRound = 0
  private locating = false
  private geoProblem: string | null = null
  private card: { station: Station | null; tile?: StationTileProperties; failed?: boolean } | null =
    null

  constructor(main: HTMLElement) {
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
      el(
        'section',
        'search',
        this.locateButton,
        this.locateNote,
        placeSearch({
          onPick: (place) => this.pickPlace(place),
          area: () => (this.map ? viewArea(this.map) : null),
        }).element,
        this.notice,
      ),
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

    this.mapContainer.id = 'map'
    this.mapContainer.append(
      el(
        'div',
        'map-placeholder',
        el('p', '', t().mapOnDemand),
        button('secondary-button', t().showMap, () => void this.loadMap()),
      ),
    )
    const pill = livePill()
    this.overlays = el('div', 'map-overlays', pill.element)
    main.append(panel, el('div', 'map-area', this.mapContainer, this.overlays))

    let reload: ReturnType<typeof setTimeout> | undefined
    this.live = new LiveClient(
      {
        status: (s) => this.applyStatus(s),
        // an admin editing several stations in a row costs one reload
        changed: () => {
          clearTimeout(reload)
          reload = setTimeout(() => this.map?.reloadStations(), 1_000)
        },
        state: (state) => {
          // the socket coming back is the surest sign that the server can be reached again
          if (state === 'live' && this.liveLost) void this.reconnected()
          this.liveLost = state === 'reconnecting'
          pill.set(state)
        },
      },
      true,
    )
    this.notice.setAttribute('role', 'status')
    this.notice.hidden = true
    window.addEventListener('online', () => void this.reconnected())

    onLangChange(() => {
      requestOpen.textContent = t().requestOpen
      this.render()
    })
    // a link to one station (/?station=42) opens its card
    const linked = Number(new URLSearchParams(location.search).get('station'))
    // the last list stays on screen, marked with its time, until a fresh one replaces it
    const last = readLastList()
    if (last) {
      this.origin = last.origin
      this.stations = last.stations
      this.search = 'done'
      this.asOf = { at: last.at, offline: false }
    }
    this.setMode('list')
    if (Number.isInteger(linked) && linked > 0) void this.openStation(linked)
    else if (last) void this.find()
    window.addEventListener('load', () => setTimeout(() => void this.refreshCopy(), COPY_DELAY_MS))
    // The list and the locate button work at once. The map is most of the app's bytes and of
    // a weak phone's CPU: beside the list it loads now, under it once the courier needs it.
    if (!window.matchMedia(PHONE_QUERY).matches) void this.loadMap()
    // report times say "5 minutes ago": keep them true
    setInterval(() => this.render(), 60_000)
  }

  /** Back online: send what was queued, refresh the list and the offline copy. */
  private async reconnected(): Promise<void> {
    const sent = await flushRequests()
    if (sent) {
      this.notice.textContent = t().queuedSent(sent)
      this.notice.hidden = false
    }
    if (this.origin) void this.find()
    void this.refreshCopy()
  }

  private async refreshCopy(): Promise<void> {
    if (!navigator.onLine) return
    const meta = await getMeta()
    if (!meta) return
    try {
      await refreshCopy(meta.bounds)
    } catch (err) {
      console.warn(`offline copy not refreshed: ${String(err)}`)
    }
  }

  private loadMap(): Promise<void> {
    // meta says which basemap to start with
    this.mapLoading ??= Promise.all([getMeta(), import('./courierMap.ts')]).then(
      ([meta, { CourierMap }]) => this.attachMap(meta, CourierMap),
    )
    return this.mapLoading
  }

  private attachMap(meta: Meta | null, Maps: typeof CourierMap): void {
    this.overlays.append(legend(meta))
    this.mapContainer.replaceChildren()
    const map = new Maps(this.mapContainer, meta, {
      station: (properties, at) => this.tapStation(properties, at),
      place: (at) => this.tapPlace(at),
      // zoomed out, live snapshots would be megabytes per pan for dots too small to tell apart
      view: (zoom, area) => this.live.watch(zoom < LIVE_MIN_ZOOM ? null : area ? [area] : []),
    })
    map.padding = () => ({ bottom: this.sheet.covered() })
    this.map = map
    // whatever the courier did before the map came is drawn on it now
    this.syncMap()
    if (this.stations.length && this.origin) {
      map.show([this.origin.at, ...this.stations.map((s) => s.location)])
      this.placePins()
    }
    const shown = this.card?.station
    if (shown) {
      map.select(shown.id)
      map.focus(shown.location)
    }
  }

  private setMode(mode: Mode): void {
    this.mode = mode
    for (const [name, view] of Object.entries(this.views)) view.hidden = name !== mode
    if (mode !== 'card') {
      this.card = null
      this.map?.select(null)
      this.setUrlStation(null)
    }
    if (mode === 'request') this.request.start(this.origin?.at ?? null)
    if (mode !== 'list') void this.loadMap()
    this.syncMap()
    this.render()
  }

  private syncMap(): void {
    if (!this.map) return
    this.map.pickPlaces = this.mode === 'request'
    this.map.setPoint(this.origin?.at ?? null, this.mode === 'request' ? 'request' : 'search')
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
      this.origin.from === 'gps'
        ? t().nearestFromMe
        : this.origin.from === 'place'
          ? t().nearestFromPlace(this.origin.name)
          : t().nearestFromPoint,
    )
    const status = el('p', 'results-status')
    status.setAttribute('role', 'status')
    section.dataset.state = this.search
    section.dataset.offline = String(this.asOf?.offline ?? false)
    if (this.search === 'searching' && !this.stations.length) {
      status.textContent = t().searching
      return section.replaceChildren(heading, status)
    }
    if (this.search === 'failed') {
      status.textContent = this.offlineWithoutCopy ? t().offlineNoCopy : t().searchFailed
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
    if (this.asOf) {
      const time = timeOfDay(this.asOf.at)
      status.textContent = this.asOf.offline ? t().offlineList(time) : t().listAsOf(time)
      status.classList.add('notice', 'notice-warn')
    } else status.textContent = this.search === 'searching' ? t().searching : t().resultsHint
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
    const map = this.map!.map
    const zoom = map.getZoom()
    // below this zoom one dot may stand for several stations: show them apart first
    if (properties.point_count > 1 && zoom < SINGLE_STATION_ZOOM) {
      map.easeTo({
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
      this.map?.setPoint(at, 'request')
      return
    }
    this.origin = { at, from: 'tap' }
    this.setMode('list')
    void this.find()
  }

  /** A station searched for opens its card; a district or city lists the nearest to it. */
  private pickPlace(place: Place): void {
    const { station_id, name } = place.properties
    if (station_id !== null) {
      void this.openStation(station_id)
      return
    }
    const [lon, lat] = place.geometry.coordinates as [number, number]
    this.origin = { at: { lon, lat }, from: 'place', name }
    this.setMode('list')
    void this.find()
  }

  private async openStation(id: number, move = true, tile?: StationTileProperties): Promise<void> {
    const round = ++this.cardRound
    const listed = this.stations.find((s) => s.id === id) ?? null
    this.card = { station: listed, tile }
    this.setMode('card')
    this.map?.select(id)
    this.setUrlStation(id)
    this.sheet.reveal()
    this.views.card.scrollTop = 0
    if (listed) {
      if (move) this.map?.focus(listed.location)
      return
    }
    try {
      const station = withLatest(await getStation(id), this.live.latestOf(id))
      if (round !== this.cardRound || this.mode !== 'card') return
      this.card = { station }
      if (move) this.map?.focus(station.location)
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
    this.map?.setPoint(origin.at, this.mode === 'request' ? 'request' : 'search')
    this.renderResults()
    this.sheet.reveal()
    try {
      const found = await getNearest(origin.at, this.filters.value, NEAREST_LIMIT)
      if (round !== this.searchRound) return
      this.stations = found.map((s) => withLatest(s, this.live.latestOf(s.id)))
      this.search = 'done'
      this.asOf = null
      saveLastList({ origin, stations: this.stations, at: new Date().toISOString() })
      if (this.stations.length) void this.loadMap()
      this.map?.show([origin.at, ...this.stations.map((s) => s.location)])
    } catch (err) {
      if (round !== this.searchRound) return
      console.warn(`nearest stations unavailable: ${String(err)}`)
      // no network: answer from the offline copy, said to be of its time
      const copy = err instanceof NetworkError ? await readCopy() : null
      if (round !== this.searchRound) return
      if (copy) {
        this.stations = nearestFromCopy(copy, origin.at, this.filters.value, NEAREST_LIMIT)
        this.search = 'done'
        this.asOf = { at: copy.at, offline: true }
        this.map?.show([origin.at, ...this.stations.map((s) => s.location)])
      } else {
        this.stations = []
        this.search = 'failed'
        this.offlineWithoutCopy = err instanceof NetworkError
      }
    }
    this.renderResults()
    this.placePins()
  }

  /** Numbered pins on the map for the listed stations, coloured by their state. */
  private placePins(): void {
    this.map?.setPins(this.stations, (id) => void this.openStation(id, false))
    for (const station of this.stations) this.paintPin(station)
  }

  private paintPin(station: Station): void {
    this.map?.paintPin(station, this.card?.station?.id === station.id)
  }

  /** A newer status from /live: the map dot, the list row, the pin and the card follow it. */
  private applyStatus(status: StationStatusEvent): void {
    this.map?.applyStatus(status)
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
