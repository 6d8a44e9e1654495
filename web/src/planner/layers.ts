import type { GeoJSONSource, Map as MapLibreMap } from 'maplibre-gl'
import type { ExpressionSpecification } from '@maplibre/maplibre-gl-style-spec'
import type { Feature, FeatureCollection, LineString } from 'geojson'
import type {
  Bounds,
  GapCellProperties,
  GapsResponse,
  StationRequestFeature,
} from '../shared/api.ts'
import { dot, el } from '../shared/dom.ts'
import { onLangChange, t } from '../shared/i18n.ts'
import { PHONE_QUERY } from '../shared/sheet.ts'
import { STATIONS_LAYER } from '../shared/stations.ts'

const GAPS_FILL = 'gaps-fill'
const GAPS_LINE = 'gaps-line'
const GAPS_SOURCE = 'gaps'
const AREA_SOURCE = 'analysis-area'
const AREA_LINE = 'analysis-area'
const REQUESTS_SOURCE = 'station-requests'
const REQUESTS_LAYER = 'station-requests'

/** Yellow to dark red (ColorBrewer YlOrRd): more demand, darker. */
const DEMAND_COLORS = ['#fed976', '#feb24c', '#fd8d3c', '#f03b20', '#bd0026']
/** Blue within reach to red beyond it (ColorBrewer RdYlBu, reversed and trimmed). */
const DISTANCE_COLORS = ['#2c7bb6', '#abd9e9', '#fdae61', '#f46d43', '#d7191c']
/** Distance class edges, as multiples of the reach. */
const DISTANCE_STEPS = [0.5, 1, 1.5, 2]
const REQUEST_COLOR = '#c2255c'
const STATION_COLOR = '#1b6b57'

const EMPTY: FeatureCollection = { type: 'FeatureCollection', features: [] }

/**
 * Class edges for a quantile ramp: each class starts at its edge and holds about as many cells as
 * the others. Repeated values merge classes, so a flat distribution gets fewer of them.
 */
function quantileBreaks(values: number[], classes = DEMAND_COLORS.length): number[] {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b)
  const breaks: number[] = []
  for (let i = 1; i < classes; i++) {
    const v = sorted[Math.floor((i / classes) * sorted.length)]
    if (v !== undefined && v > sorted[0]! && v > (breaks.at(-1) ?? -Infinity)) breaks.push(v)
  }
  return breaks
}

/** `count` colours spread over the ramp, its two ends always included. */
function spread(ramp: string[], count: number): string[] {
  if (count <= 1) return [ramp[ramp.length - 1]!]
  return Array.from(
    { length: count },
    (_, i) => ramp[Math.round((i * (ramp.length - 1)) / (count - 1))]!,
  )
}

interface Ramp {
  /** What the colour stands for. */
  property: 'demand' | 'nearest_distance_m'
  breaks: number[]
  colors: string[]
  /** Whole numbers only: a class can end one below the next class's start. */
  integers: boolean
}

function rampExpression(ramp: Ramp): ExpressionSpecification {
  // a cell with no active station anywhere is as far as it gets
  const value: ExpressionSpecification = ['coalesce', ['get', ramp.property], 1e9]
  const steps = ramp.breaks.flatMap((b, i) => [b, ramp.colors[i + 1]!])
  return (
    steps.length ? ['step', value, ramp.colors[0]!, ...steps] : ramp.colors[0]!
  ) as ExpressionSpecification
}

function areaLine([w, s, e, n]: Bounds): Feature<LineString> {
  const ring = [
    [w, s],
    [e, s],
    [e, n],
    [w, n],
    [w, s],
  ]
  return { type: 'Feature', properties: {}, geometry: { type: 'LineString', coordinates: ring } }
}

/**
 * The planner's own map layers: gap cells under the stations, the analysed area, and station
 * requests on top. Their data is kept here, so a new style (the offline fallback) gets it back.
 */
export class PlannerLayers {
  readonly legend = el('details', 'legend planner-legend')
  private gaps: FeatureCollection = EMPTY
  private ramp: Ramp = {
    property: 'demand',
    breaks: [],
    colors: [DEMAND_COLORS[0]!],
    integers: true,
  }
  private area: Feature<LineString> | null = null
  private requests: FeatureCollection = EMPTY
  private showRequests = false
  /** Whether the cells drawn answer an analysis (none while one is pending or failed). */
  private analysed = false

  constructor(
    private readonly map: MapLibreMap,
    private readonly container: HTMLElement,
  ) {
    // the station map adds its layers on style.load first; ours go in among them
    map.on('style.load', () => this.addLayers())
    if (map.getLayer(STATIONS_LAYER)) this.addLayers()
    map.on('idle', () => this.describe())
    // on a phone it would hide much of the map: folded until asked for
    this.legend.open = !window.matchMedia(PHONE_QUERY).matches
    onLangChange(() => this.renderLegend())
  }

  setGaps(gaps: GapsResponse | null, include: 'gaps' | 'all'): void {
    this.analysed = gaps !== null
    this.gaps = gaps ?? EMPTY
    const cells = gaps?.features ?? []
    if (include === 'all' && gaps) {
      const reach = gaps.query.reach_m
      this.ramp = {
        property: 'nearest_distance_m',
        breaks: DISTANCE_STEPS.map((f) => Math.round(f * reach)),
        colors: DISTANCE_COLORS,
        integers: false,
      }
    } else {
      const demand = cells.map((c) => c.properties.demand)
      const breaks = quantileBreaks(demand)
      this.ramp = {
        property: 'demand',
        breaks,
        colors: spread(DEMAND_COLORS, breaks.length + 1),
        integers: demand.every(Number.isInteger),
      }
    }
    this.container.dataset.gapFeatures = String(cells.length)
    if (this.map.getLayer(GAPS_FILL))
      this.map.setPaintProperty(GAPS_FILL, 'fill-color', rampExpression(this.ramp))
    this.map.getSource<GeoJSONSource>(GAPS_SOURCE)?.setData(this.gaps)
    this.renderLegend()
  }

  setArea(bbox: Bounds | null): void {
    this.area = bbox ? areaLine(bbox) : null
    this.map.getSource<GeoJSONSource>(AREA_SOURCE)?.setData(this.area ?? EMPTY)
  }

  setRequests(features: StationRequestFeature[] | null): void {
    this.showRequests = features !== null
    this.requests = { type: 'FeatureCollection', features: features ?? [] }
    this.map.getSource<GeoJSONSource>(REQUESTS_SOURCE)?.setData(this.requests)
    this.renderLegend()
  }

  /** The gap cell drawn at a pixel, if any. */
  cellAt(x: number, y: number): GapCellProperties | null {
    if (!this.map.getLayer(GAPS_FILL)) return null
    const [feature] = this.map.queryRenderedFeatures([x, y], { layers: [GAPS_FILL] })
    return feature ? (feature.properties as GapCellProperties) : null
  }

  private addLayers(): void {
    const map = this.map
    if (map.getSource(GAPS_SOURCE)) return
    map.addSource(GAPS_SOURCE, { type: 'geojson', data: this.gaps })
    map.addSource(AREA_SOURCE, { type: 'geojson', data: this.area ?? EMPTY })
    map.addSource(REQUESTS_SOURCE, { type: 'geojson', data: this.requests })
    const below = map.getLayer(STATIONS_LAYER) ? STATIONS_LAYER : undefined
    // whether a station has seats free now does not matter here, only where it is
    if (below) map.setPaintProperty(STATIONS_LAYER, 'circle-color', STATION_COLOR)
    map.addLayer(
      {
        id: GAPS_FILL,
        type: 'fill',
        source: GAPS_SOURCE,
        paint: { 'fill-color': rampExpression(this.ramp), 'fill-opacity': 0.62 },
      },
      below,
    )
    map.addLayer(
      {
        id: GAPS_LINE,
        type: 'line',
        source: GAPS_SOURCE,
        paint: {
          // with every cell drawn, the gaps among them keep a dark edge
          'line-color': ['case', ['get', 'gap'], '#7f1d00', '#ffffff'],
          'line-opacity': ['case', ['get', 'gap'], 0.55, 0.7],
          'line-width': ['interpolate', ['linear'], ['zoom'], 8, 0.3, 12, 0.8, 15, 1.5],
        },
      },
      below,
    )
    map.addLayer(
      {
        id: AREA_LINE,
        type: 'line',
        source: AREA_SOURCE,
        paint: { 'line-color': '#343a40', 'line-width': 1.5, 'line-dasharray': [4, 3] },
      },
      below,
    )
    map.addLayer({
      id: REQUESTS_LAYER,
      type: 'circle',
      source: REQUESTS_SOURCE,
      paint: {
        'circle-color': REQUEST_COLOR,
        'circle-radius': ['interpolate', ['linear'], ['zoom'], 8, 3.5, 14, 7],
        'circle-stroke-color': '#ffffff',
        'circle-stroke-width': 1.5,
      },
    })
  }

  /** Read by the browser tests: how many gap cells and requests the map draws. */
  private describe(): void {
    if (!this.map.getLayer(GAPS_FILL)) return
    const drawn = (layer: string) =>
      String(this.map.queryRenderedFeatures({ layers: [layer] }).length)
    this.container.dataset.renderedGaps = drawn(GAPS_FILL)
    this.container.dataset.renderedRequests = drawn(REQUESTS_LAYER)
  }

  private renderLegend(): void {
    const m = t().planner
    const swatch = (color: string) => {
      const node = el('span', 'swatch')
      node.style.background = color
      return node
    }
    const { property, breaks, colors, integers } = this.ramp
    const demand = property === 'demand'
    const label = (i: number) => {
      const from = i === 0 ? null : breaks[i - 1]!
      const to = breaks[i] ?? null
      if (!demand) {
        if (to === null) return m.legendBeyond(t().distance(from!))
        return m.legendUpTo(t().distance(to))
      }
      if (to === null) return from === null ? m.legendAll : `≥ ${from}`
      if (!integers) return from === null ? `< ${to}` : `${from} – < ${to}`
      const last = to - 1
      if (from === null) return `≤ ${last}`
      return from === last ? String(from) : `${from}–${last}`
    }
    const classes = this.gaps.features.length
      ? colors.map((color, i) => el('li', '', swatch(color), label(i)))
      : [el('li', 'muted', m.legendNoCells)]
    const symbols = [
      el('li', '', dot(STATION_COLOR), m.legendStations),
      el('li', '', el('span', 'legend-pin', '1'), m.legendSite),
      el('li', '', el('span', 'legend-pin legend-pin-whatif', '+'), m.legendWhatIf),
      el('li', '', el('span', 'legend-area'), m.legendArea),
    ]
    if (this.showRequests) symbols.push(el('li', '', dot(REQUEST_COLOR), m.legendRequest))
    const ramp = this.analysed
      ? [
          el('p', 'legend-heading', demand ? m.legendDemand : m.legendDistance),
          el('ul', '', ...classes),
        ]
      : []
    this.legend.replaceChildren(
      el('summary', '', t().legendTitle),
      ...ramp,
      el('ul', this.analysed ? 'legend-symbols' : '', ...symbols),
    )
  }
}
