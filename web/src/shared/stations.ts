import type {
  CircleLayerSpecification,
  ExpressionSpecification,
  VectorSourceSpecification,
} from '@maplibre/maplibre-gl-style-spec'
import type { Availability } from '../../../contract/vocabulary.ts'
import type { StationStatusEvent } from '../../../contract/live-events.ts'
import { API } from './api.ts'

export const STATIONS_SOURCE = 'stations'
export const STATIONS_LAYER = 'stations'
export const SELECTED_LAYER = 'stations-selected'
/** The layer name inside each vector tile. */
export const STATIONS_SOURCE_LAYER = 'stations'

export const AVAILABILITY_COLORS = {
  open: '#2f9e44',
  full: '#e8590c',
  closed: '#495057',
  temporarily_closed: '#8e44ad',
  unknown: '#ced4da',
} satisfies Record<Availability, string>

/** A station whose last report is too old: its counts cannot be trusted, whatever they say. */
export const STALE_COLOR = '#909aa3'

export function statusColor(status: { availability: Availability; stale: boolean }): string {
  return status.stale ? STALE_COLOR : AVAILABILITY_COLORS[status.availability]
}

/** Properties of a point in the stations vector tiles. */
export interface StationTileProperties {
  id: number
  code: string
  name: string
  availability: Availability
  stale: boolean
  open_now: boolean
  capacity: number
  occupancy: number
  available_spaces: number
  charging_points: number
  charging_points_in_use: number
  version: number
  /** Below zoom 12 one point stands for this many stations close together. */
  point_count: number
}

/** What a live update writes into a station's feature state. */
export type LiveFeatureState = Pick<
  StationStatusEvent,
  'version' | 'availability' | 'stale' | 'available_spaces' | 'occupancy'
>

export function liveFeatureState(s: StationStatusEvent): LiveFeatureState {
  const { version, availability, stale, available_spaces, occupancy } = s
  return { version, availability, stale, available_spaces, occupancy }
}

export function stationsSource(): VectorSourceSpecification {
  return {
    type: 'vector',
    // tile URLs must be absolute: MapLibre fetches them from a worker
    tiles: [`${location.origin}${API}/tiles/stations/{z}/{x}/{y}.mvt`],
    minzoom: 0,
    maxzoom: 14,
    promoteId: 'id',
  }
}

/**
 * Tiles are cached for a while, so live updates arrive as feature state. A state only wins over
 * the tile's own properties when it is newer: a tile fetched later may already know better.
 */
const liveIsNewer: ExpressionSpecification = [
  '>',
  ['coalesce', ['feature-state', 'version'], -1],
  ['coalesce', ['get', 'version'], 0],
]

function current(key: keyof LiveFeatureState): ExpressionSpecification {
  return ['case', liveIsNewer, ['feature-state', key], ['get', key]]
}

const isStale: ExpressionSpecification = ['==', current('stale'), true]
const availability = current('availability')

const fillColor: ExpressionSpecification = [
  'case',
  isStale,
  STALE_COLOR,
  [
    'match',
    availability,
    'open',
    AVAILABILITY_COLORS.open,
    'full',
    AVAILABILITY_COLORS.full,
    'closed',
    AVAILABILITY_COLORS.closed,
    'temporarily_closed',
    AVAILABILITY_COLORS.temporarily_closed,
    AVAILABILITY_COLORS.unknown,
  ],
]

/** The status the stations layer draws for a rendered feature: the same rule as its paint. */
export function drawnStatus(
  properties: StationTileProperties,
  state: Partial<LiveFeatureState>,
): { availability: Availability; stale: boolean; version: number } {
  const live = (state.version ?? -1) > (properties.version ?? 0)
  const from = live ? (state as LiveFeatureState) : properties
  return { availability: from.availability, stale: from.stale, version: from.version }
}

/** Dot radius by zoom, `extra` pixels larger (a zoom curve cannot be nested in arithmetic). */
function radius(extra = 0): ExpressionSpecification {
  const stops = [4, 1.8, 6, 2.8, 9, 4.5, 12, 7, 16, 11]
  return [
    'interpolate',
    ['linear'],
    ['zoom'],
    ...stops.map((v, i) => (i % 2 ? v + extra : v)),
  ] as ExpressionSpecification
}

export function stationsLayer(): CircleLayerSpecification {
  return {
    id: STATIONS_LAYER,
    type: 'circle',
    source: STATIONS_SOURCE,
    'source-layer': STATIONS_SOURCE_LAYER,
    paint: {
      'circle-color': fillColor,
      'circle-radius': radius(),
      // light fills (unknown) get a darker rim so they stay visible on the pale basemap
      'circle-stroke-color': [
        'case',
        ['all', ['!', isStale], ['==', availability, 'unknown']],
        '#868e96',
        '#ffffff',
      ],
      'circle-stroke-width': ['interpolate', ['linear'], ['zoom'], 5, 0.4, 10, 1.2, 14, 2],
      'circle-opacity': ['case', isStale, 0.8, 1],
    },
  }
}

/** A ring around the station whose card is open. */
export function selectedLayer(id: number | null): CircleLayerSpecification {
  return {
    id: SELECTED_LAYER,
    type: 'circle',
    source: STATIONS_SOURCE,
    'source-layer': STATIONS_SOURCE_LAYER,
    filter: ['==', ['id'], id ?? -1],
    paint: {
      'circle-color': fillColor,
      'circle-radius': radius(5),
      'circle-stroke-color': '#1b6b57',
      'circle-stroke-width': 3,
    },
  }
}
