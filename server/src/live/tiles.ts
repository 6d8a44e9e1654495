import type { Bbox } from '../../../contract/live-events.ts'
import { tileXAt, tileYAt } from '../tiles/coords.ts'

/**
 * Live subscriptions are rooms keyed by map tiles. Each station is in one room per level;
 * a subscription joins the rooms of the finest level at which its bbox spans at most that
 * level's MAX_TILES. A phone's 3 × 5 km view lands on zoom 16: many tiles of about 500 m, so
 * few of the reports it gets are outside its view (measured in the benchmark: 1.3 messages per
 * useful one, against 2.5 with 2 km tiles). Larger views take few large rooms, batched, so a
 * city wall screen gets a couple of messages per window: a district on zoom 12, a city on
 * zoom 8, the province on zoom 5.
 */
/** The finest level's rooms get each report at once; coarser ones get batches (see LiveHub). */
export const ROOM_LEVELS = [16, 12, 8, 5] as const
export type RoomLevel = (typeof ROOM_LEVELS)[number]
const MAX_TILES: Record<RoomLevel, number> = { 16: 100, 12: 12, 8: 12, 5: 12 }

const clamp = (v: number, n: number) => Math.min(n - 1, Math.max(0, Math.floor(v)))
const tileX = (lon: number, z: number) => clamp(tileXAt(lon, z), 2 ** z)
const tileY = (lat: number, z: number) => clamp(tileYAt(lat, z), 2 ** z)

/** A tile room's name (other rooms are a socket's own, a user's, a session's or a token's). */
export const isTileRoom = (room: string) => /^t\d+:\d+:\d+$/.test(room)

export const roomAt = (z: RoomLevel, lon: number, lat: number) =>
  `t${z}:${tileX(lon, z)}:${tileY(lat, z)}`

/** The room of a position at every level. */
export const roomsOf = (lon: number, lat: number) => ROOM_LEVELS.map((z) => roomAt(z, lon, lat))

export function roomsCovering([w, s, e, n]: Bbox): { level: RoomLevel; rooms: string[] } | null {
  for (const z of ROOM_LEVELS) {
    const [x0, x1, y0, y1] = [tileX(w, z), tileX(e, z), tileY(n, z), tileY(s, z)]
    if ((x1 - x0 + 1) * (y1 - y0 + 1) > MAX_TILES[z]) continue
    const rooms: string[] = []
    for (let x = x0; x <= x1; x++) for (let y = y0; y <= y1; y++) rooms.push(`t${z}:${x}:${y}`)
    return { level: z, rooms }
  }
  return null
}
