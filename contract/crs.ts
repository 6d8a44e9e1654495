import gcoord, { type CRSTypes } from 'gcoord'

/** Coordinate systems a file or a pasted point may use: GPS (WGS-84), Amap/Tencent (GCJ-02), Baidu (BD-09). */
export const CRSES = ['wgs84', 'gcj02', 'bd09'] as const
export type Crs = (typeof CRSES)[number]

const GCOORD: Record<Crs, CRSTypes> = {
  wgs84: gcoord.WGS84,
  gcj02: gcoord.GCJ02,
  bd09: gcoord.BD09,
}

/** A point given in `crs`, in WGS-84: what the server imports and the console pastes. */
export function toWgs84(lon: number, lat: number, crs: Crs): { lon: number; lat: number } {
  if (crs === 'wgs84') return { lon, lat }
  const [x, y] = gcoord.transform([lon, lat], GCOORD[crs], gcoord.WGS84)
  return { lon: x, lat: y }
}
