import gcoord, { type CRSTypes } from 'gcoord'

/** Coordinate systems a file or a pasted point may use: GPS (WGS-84), Amap/Tencent (GCJ-02), Baidu (BD-09). */
export const CRSES = ['wgs84', 'gcj02', 'bd09'] as const
export type Crs = (typeof CRSES)[number]

const GCOORD: Record<Crs, CRSTypes> = {
  wgs84: gcoord.WGS84,
  gcj02: gcoord.GCJ02,
  bd09: gcoord.BD09,
}

/** How files and people write each one. */
export const CRS_NAMES: Record<Crs, string> = { wgs84: 'WGS-84', gcj02: 'GCJ-02', bd09: 'BD-09' }

/** A point given in `crs`, in WGS-84: what the server imports and the console pastes. */
export function toWgs84(lon: number, lat: number, crs: Crs): { lon: number; lat: number } {
  if (crs === 'wgs84') return { lon, lat }
  const [x, y] = gcoord.transform([lon, lat], GCOORD[crs], gcoord.WGS84)
  return { lon: x, lat: y }
}

/** A WGS-84 point in `crs`: what an export for Amap/Tencent (GCJ-02) or Baidu (BD-09) holds. */
export function fromWgs84(lon: number, lat: number, crs: Crs): { lon: number; lat: number } {
  if (crs === 'wgs84') return { lon, lat }
  const [x, y] = gcoord.transform([lon, lat], gcoord.WGS84, GCOORD[crs])
  return { lon: x, lat: y }
}
