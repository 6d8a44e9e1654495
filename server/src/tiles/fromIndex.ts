import type { StationIndex, TileStation } from '../stations/stationIndex.ts'
import { statusesChangeAt, type StatusRules } from '../stations/status.ts'
import { HALF_WORLD, latOf, lonOf, mercatorX, mercatorY, tileEnvelope } from './coords.ts'
import { pointsTile } from './mvt.ts'
import {
  EXTENT,
  gridAt,
  MARGIN,
  STATION_FIELDS,
  STATIONS_LAYER,
  type RenderedTile,
  type StationProperties,
  type TileRenderer,
} from './queries.ts'

/**
 * From this zoom on, a tile holds few enough stations (hundreds at most) to be made in this
 * process without holding up its other requests; further out, PostgreSQL makes them.
 */
export const INDEX_TILES_FROM_ZOOM = 12

const KEYS = Object.keys(STATION_FIELDS) as (keyof StationProperties)[]
const MARGIN_UNITS = MARGIN * EXTENT
/** Degrees the lon/lat box is widened by, so rounding cannot leave a station out: units decide. */
const SLACK = 1e-7

interface Cell {
  station: TileStation
  px: number
  py: number
  count: number
}

/**
 * The tile stations-tile-cells.sql and its encoders make, made from the station index: the same
 * stations (the margin in whole tile units), positions, clustering, properties and validity.
 * A promise when the index must read some stations' labels. The tile parity test holds the
 * three to the same decoded features.
 */
export function indexTile(
  index: StationIndex,
  z: number,
  x: number,
  y: number,
  rules: StatusRules,
): RenderedTile | Promise<RenderedTile> {
  const [x0, y0, x1, y1] = tileEnvelope(z, x, y)
  const [w, h] = [x1 - x0, y1 - y0]
  const clip = (v: number) => Math.max(-HALF_WORLD, Math.min(HALF_WORLD, v))
  const box = [
    lonOf(clip(x0 - w * MARGIN)) - SLACK,
    latOf(clip(y0 - h * MARGIN)) - SLACK,
    lonOf(clip(x1 + w * MARGIN)) + SLACK,
    latOf(clip(y1 + h * MARGIN)) + SLACK,
  ] as const
  const encode = (stations: TileStation[]): RenderedTile => {
    const grid = gridAt(z)
    const cells = new Map<number, Cell>()
    for (const station of stations) {
      const px = Math.floor(((mercatorX(station.lon) - x0) / w) * EXTENT)
      const py = Math.floor(((y1 - mercatorY(station.lat)) / h) * EXTENT)
      const inside = (u: number) => u >= -MARGIN_UNITS && u < EXTENT + MARGIN_UNITS
      if (!inside(px) || !inside(py)) continue
      // cells span at most (EXTENT + 2 × margin) / grid each way
      const key = (Math.floor(px / grid) + EXTENT) * 4 * EXTENT + Math.floor(py / grid) + EXTENT
      const cell = cells.get(key)
      if (!cell) cells.set(key, { station, px, py, count: 1 })
      else {
        cell.count++
        // the cell shows its station with the lowest id, at that station's position
        if (station.id < cell.station.id) Object.assign(cell, { station, px, py })
      }
    }
    let oldestFresh: number | null = null
    const schedules = new Map<string, TileStation['schedule'] & {}>()
    const features = [...cells.values()].map(({ station: s, px, py, count }) => {
      if (!s.status.stale) oldestFresh = Math.min(oldestFresh ?? Infinity, s.reportedAt)
      if (s.schedule) schedules.set(`${s.schedule[0]}\n${s.schedule[1]}`, s.schedule)
      const properties: StationProperties = {
        id: s.id,
        code: s.code,
        name: s.name,
        capacity: s.capacity,
        charging_points: s.charging_points,
        amenities: s.amenities,
        ...s.status,
        point_count: count,
      }
      return { id: s.id, x: px, y: py, values: KEYS.map((k) => properties[k]) }
    })
    return {
      body: pointsTile(STATIONS_LAYER, EXTENT, KEYS, features),
      validUntil: statusesChangeAt(
        rules.now,
        rules.staleAfterMs,
        oldestFresh === null ? null : new Date(oldestFresh),
        schedules.values(),
      ),
    }
  }
  const stations = index.tileStations(box, rules)
  return stations instanceof Promise ? stations.then(encode) : encode(stations)
}

/** Tiles from z12 on made from the index while it is current; the others, and meanwhile, by `sql`. */
export function indexFirst(index: StationIndex, sql: TileRenderer): TileRenderer {
  return async (z, x, y, rules) =>
    z >= INDEX_TILES_FROM_ZOOM && index.current
      ? indexTile(index, z, x, y, rules)
      : sql(z, x, y, rules)
}
