import {
  LngLatBounds,
  Map as MapLibreMap,
  NavigationControl,
  setWorkerUrl,
  type GeoJSONSource,
  type MapGeoJSONFeature,
  type MapMouseEvent,
  type PaddingOptions,
  type VectorTileSource,
} from 'maplibre-gl'
// MapLibre looks for its worker next to its own module, which bundling moves: point it at the asset
import workerUrl from 'maplibre-gl/dist/maplibre-gl-worker.mjs?url'
import type { FeatureCollection, Point } from 'geojson'
import {
  getOutline,
  getPlaceLabels,
  HUNAN_BOUNDS,
  type Bounds,
  type Meta,
  type Outline,
  type PlaceLabels,
} from './api.ts'
import { basemapStyle, type Basemap } from './basemap.ts'
import { onLangChange, t } from './i18n.ts'
import type { Bbox, StationStatusEvent } from './live.ts'
import {
  drawnStatus,
  liveFeatureState,
  SELECTED_LAYER,
  selectedLayer,
  STATIONS_LAYER,
  STATIONS_SOURCE,
  STATIONS_SOURCE_LAYER,
  stationsLayer,
  stationsSource,
  type LiveFeatureState,
  type StationTileProperties,
} from './stations.ts'
import { LABELS_SOURCE, OUTLINE_SOURCE, PLACE_LABEL_LAYERS, offlineStyle } from './style.ts'

setWorkerUrl(workerUrl)

/** How long a remote basemap may take before the offline style replaces it. */
const REMOTE_STYLE_TIMEOUT_MS = 4_000
/** Dots are a few pixels wide and fingers are not: taps this close still hit a station. */
const HIT_RADIUS_PX = 16
/** A view that keeps moving is followed once it has settled for this long. */
const VIEW_SETTLE_MS = 300
/** How much of the view's size `area` adds on each side. */
const AREA_MARGIN = 0.25
const POINT_SOURCE = 'point'
const POINT_LAYER = 'point'

export type LngLat = { lon: number; lat: number }
/** Where the courier looks from, or where a new station is asked for. */
export type PointKind = 'search' | 'request'

export interface StationMapHandlers {
  station(properties: StationTileProperties, at: LngLat): void
  /** A tap or click away from any station. */
  place(at: LngLat): void
  /** Once the view has settled: its zoom and area (see `area`), null outside the stations. */
  view(zoom: number, area: Bbox | null): void
}

/**
 * The MapLibre map with the stations layer, a ring on the selected station, one point (the
 * search origin or a requested site) and live statuses applied as feature state.
 */
export class StationMap {
  readonly map: MapLibreMap
  private readonly container: HTMLElement
  private readonly extent: Bounds
  private readonly states = new Map<number, LiveFeatureState>()
  private selected: number | null = null
  private point: { at: LngLat; kind: PointKind } | null = null
  private settle: ReturnType<typeof setTimeout> | undefined
  /** The basemap's street lines and its labels, for `describe`. */
  private basemapLayers = { roads: [] as string[], labels: [] as string[] }
  /** When set, a tap anywhere (on a station too) picks a place rather than a station. */
  pickPlaces = false
  /** Screen space covered by other parts of the page (a bottom sheet), kept clear when moving. */
  padding: () => Partial<PaddingOptions> = () => ({})

  /** `start` is the area shown first; by default the stations' whole extent. */
  constructor(
    container: HTMLElement,
    meta: Meta | null,
    handlers: StationMapHandlers,
    start?: Bounds,
  ) {
    this.container = container
    this.extent = meta?.bounds ?? HUNAN_BOUNDS
    const basemap: Basemap = meta?.basemap ?? { kind: 'offline' }
    const offline = basemap.kind === 'offline'
    const map = new MapLibreMap({
      container,
      // any other basemap is set once built (see loadBasemap)
      style: offline ? offlineStyle() : undefined,
      bounds: start ?? this.extent,
      fitBoundsOptions: { padding: 8 },
      attributionControl: { compact: true },
      dragRotate: false,
      pitchWithRotate: false,
    })
    this.map = map
    map.touchZoomRotate.disableRotation()
    map.addControl(new NavigationControl({ showCompass: false }), 'top-right')
    this.container.dataset.basemap = basemap.kind
    onLangChange(() => map.getCanvas().setAttribute('aria-label', t().mapLabel))

    // only the offline style draws them, but a fallback to it may come at any time
    const outline = getOutline()
    const labels = getPlaceLabels()
    // every style (the configured one, or the offline one after a fallback) gets our layers on top
    map.on('style.load', () => {
      this.findBasemapLayers()
      this.addLayers()
      void outline.then((feature) => showOutline(map, feature))
      void labels.then((data) => showLabels(map, data))
    })
    // MapLibre's own logging prints minified class names; this says what failed
    const logErrors = () => map.on('error', (e) => console.error(`map: ${e.error.message}`))
    if (offline) logErrors()
    else this.loadBasemap(basemap, logErrors)

    map.on('click', (e) => {
      const station = this.pickPlaces ? null : stationAt(map, e)
      if (station) handlers.station(station.properties, station.at)
      else handlers.place({ lon: e.lngLat.lng, lat: e.lngLat.lat })
    })
    map.on('mouseenter', STATIONS_LAYER, () => (map.getCanvas().style.cursor = 'pointer'))
    map.on('mouseleave', STATIONS_LAYER, () => (map.getCanvas().style.cursor = ''))
    map.on('idle', () => this.describe())
    const settled = () => {
      clearTimeout(this.settle)
      this.settle = setTimeout(() => handlers.view(map.getZoom(), this.area()), VIEW_SETTLE_MS)
    }
    map.on('load', settled)
    map.on('moveend', settled)
  }

  /** A station's newer status, shown without waiting for its tile to be fetched again. */
  applyStatus(status: StationStatusEvent): void {
    const state = liveFeatureState(status)
    this.states.set(status.id, state)
    if (this.map.getSource(STATIONS_SOURCE)) this.setState(status.id, state)
  }

  /**
   * Fetches the station tiles again, for a station created, moved or retired (a status change
   * needs no new tiles: it is feature state).
   */
  reloadStations(): void {
    this.map.getSource<VectorTileSource>(STATIONS_SOURCE)?.setTiles(stationsSource().tiles!)
  }

  select(id: number | null): void {
    this.selected = id
    if (this.map.getLayer(SELECTED_LAYER))
      this.map.setFilter(SELECTED_LAYER, ['==', ['id'], id ?? -1])
    if (id === null) delete this.container.dataset.selectedStation
  }

  setPoint(at: LngLat | null, kind: PointKind = 'search'): void {
    this.point = at ? { at, kind } : null
    this.map.getSource<GeoJSONSource>(POINT_SOURCE)?.setData(this.pointData())
  }

  /** Centres a place (clear of the padding), zooming in to at least `minZoom`. */
  focus(at: LngLat, minZoom = 14): void {
    this.map.easeTo({
      center: [at.lon, at.lat],
      zoom: Math.max(this.map.getZoom(), minZoom),
      padding: { top: 0, left: 0, right: 0, bottom: 0, ...this.padding() },
      duration: 500,
    })
  }

  /** Moves to show all these places, clear of the padding. */
  show(places: LngLat[], maxZoom = 15): void {
    if (!places.length) return
    const bounds = new LngLatBounds()
    for (const p of places) bounds.extend([p.lon, p.lat])
    const pad = { top: 60, bottom: 40, left: 40, right: 60 }
    const extra = this.padding()
    this.map.fitBounds(bounds, {
      padding: {
        top: pad.top + (extra.top ?? 0),
        bottom: pad.bottom + (extra.bottom ?? 0),
        left: pad.left + (extra.left ?? 0),
        right: pad.right + (extra.right ?? 0),
      },
      maxZoom,
      duration: 600,
    })
  }

  private addLayers(): void {
    const map = this.map
    if (map.getSource(STATIONS_SOURCE)) return
    map.addSource(STATIONS_SOURCE, stationsSource())
    map.addLayer(stationsLayer())
    // a city's stations crowd round the very point its name is written at: names above the dots
    for (const id of PLACE_LABEL_LAYERS) if (map.getLayer(id)) map.moveLayer(id)
    map.addLayer(selectedLayer(this.selected))
    map.addSource(POINT_SOURCE, { type: 'geojson', data: this.pointData() })
    map.addLayer({
      id: POINT_LAYER,
      type: 'circle',
      source: POINT_SOURCE,
      paint: {
        'circle-radius': 9,
        'circle-color': ['match', ['get', 'kind'], 'request', '#c2255c', '#1c7ed6'],
        'circle-stroke-color': '#ffffff',
        'circle-stroke-width': 3,
      },
    })
    // a new style starts without feature state: put back every live status seen so far
    for (const [id, state] of this.states) this.setState(id, state)
  }

  private setState(id: number, state: LiveFeatureState): void {
    this.map.setFeatureState(
      { source: STATIONS_SOURCE, sourceLayer: STATIONS_SOURCE_LAYER, id },
      { ...state },
    )
  }

  private pointData(): FeatureCollection<Point> {
    const features = this.point
      ? [
          {
            type: 'Feature' as const,
            properties: { kind: this.point.kind },
            geometry: {
              type: 'Point' as const,
              coordinates: [this.point.at.lon, this.point.at.lat],
            },
          },
        ]
      : []
    return { type: 'FeatureCollection', features }
  }

  /**
   * The view with a quarter of its size added on each side (a short pan stays inside it), clipped
   * to the stations' extent; null when that leaves nothing.
   */
  private area(): Bbox | null {
    const b = this.map.getBounds()
    const dx = (b.getEast() - b.getWest()) * AREA_MARGIN
    const dy = (b.getNorth() - b.getSouth()) * AREA_MARGIN
    const [w, s, e, n] = this.extent
    const area: Bbox = [
      Math.max(b.getWest() - dx, w - 0.01, -180),
      Math.max(b.getSouth() - dy, s - 0.01, -85),
      Math.min(b.getEast() + dx, e + 0.01, 180),
      Math.min(b.getNorth() + dy, n + 0.01, 85),
    ]
    return area[0] < area[2] && area[1] < area[3] ? area : null
  }

  private findBasemapLayers(): void {
    const layers = this.map.getStyle().layers
    this.basemapLayers = {
      roads: layers
        .filter((l) => l.type === 'line' && 'source-layer' in l && l['source-layer'] === 'roads')
        .map((l) => l.id),
      labels: layers.filter((l) => l.type === 'symbol').map((l) => l.id),
    }
  }

  /**
   * Read by the browser tests: readiness, the zoom it settled at, how many stations and streets
   * are drawn, the names the basemap wrote, the selected station's state.
   */
  private describe(): void {
    const data = this.container.dataset
    data.ready = 'true'
    data.zoom = this.map.getZoom().toFixed(2)
    data.renderedStations = String(
      this.map.queryRenderedFeatures({ layers: [STATIONS_LAYER] }).length,
    )
    const { roads, labels } = this.basemapLayers
    data.renderedRoads = String(
      roads.length ? this.map.queryRenderedFeatures({ layers: roads }).length : 0,
    )
    const names = labels.length
      ? this.map.queryRenderedFeatures({ layers: labels }).map((f) => f.properties.name as string)
      : []
    data.renderedNames = [...new Set(names)].filter(Boolean).sort().join(' ')
    if (this.selected === null) return
    const [feature] = this.map.queryRenderedFeatures({ layers: [SELECTED_LAYER] })
    if (feature) data.selectedStation = describeFeature(feature)
    else delete data.selectedStation
  }

  /**
   * Sets the configured basemap's style, or the offline one when it errors or is not loaded in
   * time; calls `settled` once either style has loaded.
   */
  private loadBasemap(basemap: Basemap, settled: () => void): void {
    const map = this.map
    let done = false
    const fallBack = (reason: string) => {
      settle()
      console.warn(`basemap ${basemap.kind} ${reason}; using the bundled offline style`)
      this.container.dataset.basemap = 'offline'
      map.setStyle(offlineStyle(), { diff: false })
    }
    const timer = setTimeout(
      () => fallBack(`did not load within ${REMOTE_STYLE_TIMEOUT_MS / 1000} s`),
      REMOTE_STYLE_TIMEOUT_MS,
    )
    const subscriptions = [
      // before the style has loaded, any error is the style's own (its JSON, sprite or glyphs)
      map.on('error', (e) => fallBack(`failed: ${e.error.message}`)),
      map.on('style.load', () => settle()),
    ]
    basemapStyle(basemap).then(
      (style) => {
        if (!done) map.setStyle(style)
      },
      (err: unknown) => {
        if (!done) fallBack(`failed: ${String(err)}`)
      },
    )
    function settle() {
      done = true
      clearTimeout(timer)
      for (const subscription of subscriptions) subscription.unsubscribe()
      settled()
    }
  }
}

/** `id:availability:version`, or with `:stale`, as the map draws that station. */
function describeFeature(feature: MapGeoJSONFeature): string {
  const properties = feature.properties as StationTileProperties
  const drawn = drawnStatus(properties, feature.state as Partial<LiveFeatureState>)
  return `${properties.id}:${drawn.availability}:${drawn.version}${drawn.stale ? ':stale' : ''}`
}

function showOutline(map: MapLibreMap, feature: Outline | null): void {
  // only the offline style has the outline source; a remote basemap draws its own region
  const source = map.getSource<GeoJSONSource>(OUTLINE_SOURCE)
  if (feature && source) source.setData(feature)
}

function showLabels(map: MapLibreMap, data: PlaceLabels): void {
  map.getSource<GeoJSONSource>(LABELS_SOURCE)?.setData(data)
}

/** The station nearest to the click, within HIT_RADIUS_PX. */
function stationAt(
  map: MapLibreMap,
  e: MapMouseEvent,
): { properties: StationTileProperties; at: LngLat } | null {
  const { x, y } = e.point
  const r = HIT_RADIUS_PX
  const features = map.queryRenderedFeatures(
    [
      [x - r, y - r],
      [x + r, y + r],
    ],
    { layers: [STATIONS_LAYER] },
  )
  let best: { properties: StationTileProperties; at: LngLat } | null = null
  let bestDistance = Infinity
  for (const feature of features) {
    if (feature.geometry.type !== 'Point') continue
    const [lon, lat] = feature.geometry.coordinates as [number, number]
    const p = map.project([lon, lat])
    const distance = Math.hypot(p.x - x, p.y - y)
    if (distance < bestDistance) {
      bestDistance = distance
      best = { properties: feature.properties as StationTileProperties, at: { lon, lat } }
    }
  }
  return best
}
