import type { Bbox } from './events.ts'

/**
 * Live subscriptions are rooms keyed by map tiles at one zoom: a report is sent to the one
 * room holding its station, and a viewport joins the few rooms it overlaps.
 * At zoom 11 a tile is about 20 × 17 km over Hunan: a phone viewport spans 1–4 rooms.
 */
export const ROOM_ZOOM = 11

const n = 2 ** ROOM_ZOOM
const clampTile = (v: number) => Math.min(n - 1, Math.max(0, Math.floor(v)))

export const tileX = (lon: number) => clampTile(((lon + 180) / 360) * n)

export function tileY(lat: number) {
  const r = (Math.max(-85.05112878, Math.min(85.05112878, lat)) * Math.PI) / 180
  return clampTile(((1 - Math.log(Math.tan(r) + 1 / Math.cos(r)) / Math.PI) / 2) * n)
}

export const roomOf = (lon: number, lat: number) => `tile:${tileX(lon)}:${tileY(lat)}`

export function tilesCovering([w, s, e, nth]: Bbox): { count: number; rooms: () => string[] } {
  const [x0, x1, y0, y1] = [tileX(w), tileX(e), tileY(nth), tileY(s)]
  return {
    count: (x1 - x0 + 1) * (y1 - y0 + 1),
    rooms() {
      const out: string[] = []
      for (let x = x0; x <= x1; x++) for (let y = y0; y <= y1; y++) out.push(`tile:${x}:${y}`)
      return out
    },
  }
}
