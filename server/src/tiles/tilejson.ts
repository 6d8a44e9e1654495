import type { z } from 'zod'
import type { Bbox } from '../../../contract/bbox.ts'
import { MAX_ZOOM, MIN_ZOOM, type tileJson } from './schema.ts'
import { STATION_FIELDS, STATIONS_LAYER } from './queries.ts'

/** Mainland China and Hainan: where a network with no stations yet will have them. */
const CHINA: Bbox = [73.5, 18.1, 135.1, 53.6]

const mercatorY = (lat: number) =>
  Math.log(Math.tan(Math.PI / 4 + (lat * Math.PI) / 360)) / (2 * Math.PI)

// One station alone is shown at street level, not at the deepest zoom.
const STREET_ZOOM = 14

/** The largest zoom at which the extent fits in a 1024-pixel view (tiles of 512 px). */
function fittingZoom([w, s, e, n]: Bbox) {
  // the share of the world's width (and Mercator height) the extent spans
  const span = Math.max((e - w) / 360, mercatorY(n) - mercatorY(s))
  const zoom = Math.floor(Math.log2(1024 / 512 / span))
  return Math.min(Math.max(zoom, MIN_ZOOM), STREET_ZOOM)
}

/** TileJSON for the station tiles at `tilesUrl`, over the stations' extent (null: none yet). */
export function stationsTileJson(tilesUrl: string, extent: Bbox | null): z.output<typeof tileJson> {
  const bounds = extent ?? CHINA
  const [w, s, e, n] = bounds
  return {
    tilejson: '3.0.0',
    name: '驿站 Yizhan stations',
    description: 'Trade-union rest stations for outdoor workers, with their live availability',
    attribution: '驿站 Yizhan',
    scheme: 'xyz',
    tiles: [tilesUrl],
    minzoom: MIN_ZOOM,
    maxzoom: MAX_ZOOM,
    bounds,
    center: [(w + e) / 2, (s + n) / 2, fittingZoom(bounds)],
    vector_layers: [
      {
        id: STATIONS_LAYER,
        description:
          'One point per station; below zoom 12 stations close together merge into one carrying point_count',
        minzoom: MIN_ZOOM,
        maxzoom: MAX_ZOOM,
        fields: STATION_FIELDS,
      },
    ],
  }
}
