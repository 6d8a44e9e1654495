import {
  Map,
  NavigationControl,
  setWorkerUrl,
  type GeoJSONSource,
  type MapMouseEvent,
} from 'maplibre-gl'
// MapLibre looks for its worker next to its own module, which bundling moves: point it at the asset
import workerUrl from 'maplibre-gl/dist/maplibre-gl-worker.mjs?url'
import { getOutline, HUNAN_BOUNDS, type Meta, type Outline } from './api.ts'
import { onLangChange, t } from './i18n.ts'
import { StationPopup } from './popup.ts'
import {
  STATIONS_LAYER,
  STATIONS_SOURCE,
  stationsLayer,
  stationsSource,
  type StationTileProperties,
} from './stations.ts'
import { OUTLINE_SOURCE, offlineStyle } from './style.ts'

setWorkerUrl(workerUrl)

/** How long a remote basemap may take before the offline style replaces it. */
const REMOTE_STYLE_TIMEOUT_MS = 4_000
/** Dots are a few pixels wide and fingers are not: clicks this close still hit a station. */
const HIT_RADIUS_PX = 12

type Basemap = 'remote' | 'offline'

export function createMap(container: HTMLElement, meta: Meta | null): Map {
  const remoteStyle = meta?.mapStyleUrl ?? null
  const map = new Map({
    container,
    style: remoteStyle ?? offlineStyle(),
    bounds: meta?.bounds ?? HUNAN_BOUNDS,
    fitBoundsOptions: { padding: 8 },
    attributionControl: { compact: true },
    dragRotate: false,
    pitchWithRotate: false,
  })
  map.touchZoomRotate.disableRotation()
  map.addControl(new NavigationControl({ showCompass: false }), 'top-right')
  setBasemap(container, remoteStyle ? 'remote' : 'offline')
  onLangChange(() => map.getCanvas().setAttribute('aria-label', t().mapLabel))

  const outline = getOutline()
  // every style (the remote one, or the offline one after a fallback) gets the stations on top
  map.on('style.load', () => {
    if (!map.getSource(STATIONS_SOURCE)) {
      map.addSource(STATIONS_SOURCE, stationsSource())
      map.addLayer(stationsLayer())
    }
    void outline.then((feature) => showOutline(map, feature))
  })
  // MapLibre's own logging prints minified class names; this says what failed
  const logErrors = () => map.on('error', (e) => console.error(`map: ${e.error.message}`))
  if (remoteStyle) fallBackToOffline(map, container, remoteStyle, logErrors)
  else logErrors()

  const popup = new StationPopup(map)
  map.on('click', (e) => {
    const station = stationAt(map, e)
    if (station) popup.open(station.properties, station.at)
  })
  map.on('mouseenter', STATIONS_LAYER, () => (map.getCanvas().style.cursor = 'pointer'))
  map.on('mouseleave', STATIONS_LAYER, () => (map.getCanvas().style.cursor = ''))
  map.on('idle', () => {
    container.dataset.ready = 'true'
    // read by the browser tests: how many stations are drawn right now
    container.dataset.renderedStations = String(
      map.queryRenderedFeatures({ layers: [STATIONS_LAYER] }).length,
    )
  })
  return map
}

function setBasemap(container: HTMLElement, basemap: Basemap): void {
  container.dataset.basemap = basemap
}

/**
 * Swaps in the offline style when the remote one errors or is not loaded in time; calls `settled`
 * once either style has loaded.
 */
function fallBackToOffline(
  map: Map,
  container: HTMLElement,
  url: string,
  settled: () => void,
): void {
  const fallBack = (reason: string) => {
    settle()
    console.warn(`basemap ${url} ${reason}; using the bundled offline style`)
    setBasemap(container, 'offline')
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
  function settle() {
    clearTimeout(timer)
    for (const subscription of subscriptions) subscription.unsubscribe()
    settled()
  }
}

function showOutline(map: Map, feature: Outline | null): void {
  // only the offline style has the outline source; a remote basemap draws its own region
  const source = map.getSource<GeoJSONSource>(OUTLINE_SOURCE)
  if (feature && source) source.setData(feature)
}

/** The station nearest to the click, within HIT_RADIUS_PX. */
function stationAt(
  map: Map,
  e: MapMouseEvent,
): { properties: StationTileProperties; at: [number, number] } | null {
  const { x, y } = e.point
  const r = HIT_RADIUS_PX
  const features = map.queryRenderedFeatures(
    [
      [x - r, y - r],
      [x + r, y + r],
    ],
    { layers: [STATIONS_LAYER] },
  )
  let best: { properties: StationTileProperties; at: [number, number] } | null = null
  let bestDistance = Infinity
  for (const feature of features) {
    if (feature.geometry.type !== 'Point') continue
    const at = feature.geometry.coordinates as [number, number]
    const p = map.project(at)
    const distance = Math.hypot(p.x - x, p.y - y)
    if (distance < bestDistance) {
      bestDistance = distance
      best = { properties: feature.properties as StationTileProperties, at }
    }
  }
  return best
}
