import type {
  CircleLayerSpecification,
  ExpressionSpecification,
  VectorSourceSpecification,
} from '@maplibre/maplibre-gl-style-spec'
import type { Availability } from '../../server/src/stations/vocabulary.ts'
import { API } from './api.ts'

export const STATIONS_SOURCE = 'stations'
export const STATIONS_LAYER = 'stations'
/** The layer name inside each vector tile. */
export const STATIONS_SOURCE_LAYER = 'stations'

export const AVAILABILITY_COLORS = {
  open: '#2f9e44',
  full: '#f08c00',
  closed: '#495057',
  temporarily_closed: '#8e44ad',
  unknown: '#ced4da',
} satisfies Record<Availability, string>

/** A station whose last report is too old: its counts cannot be trusted, whatever they say. */
export const STALE_COLOR = '#909aa3'

/** Properties of a point in the stations vector tiles. */
export interface StationTileProperties {
  id: number
  code: string
  name: string
  availability: Availability
  stale: boolean
  capacity: number
  occupancy: number
  available_spaces: number
}

export function stationsSource(): VectorSourceSpecification {
  return {
    type: 'vector',
    // tile URLs must be absolute: MapLibre fetches them from a worker
    tiles: [`${location.origin}${API}/tiles/stations/{z}/{x}/{y}.mvt`],
    minzoom: 0,
    maxzoom: 14,
  }
}

const isStale: ExpressionSpecification = ['==', ['get', 'stale'], true]

const fillColor: ExpressionSpecification = [
  'case',
  isStale,
  STALE_COLOR,
  [
    'match',
    ['get', 'availability'],
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

export function stationsLayer(): CircleLayerSpecification {
  return {
    id: STATIONS_LAYER,
    type: 'circle',
    source: STATIONS_SOURCE,
    'source-layer': STATIONS_SOURCE_LAYER,
    paint: {
      'circle-color': fillColor,
      'circle-radius': ['interpolate', ['linear'], ['zoom'], 4, 1.8, 6, 2.8, 9, 4.5, 12, 7, 16, 11],
      // light fills (unknown) get a darker rim so they stay visible on the pale basemap
      'circle-stroke-color': [
        'case',
        ['all', ['!', isStale], ['==', ['get', 'availability'], 'unknown']],
        '#868e96',
        '#ffffff',
      ],
      'circle-stroke-width': ['interpolate', ['linear'], ['zoom'], 5, 0.4, 10, 1.2, 14, 2],
      'circle-opacity': ['case', isStale, 0.8, 1],
    },
  }
}
