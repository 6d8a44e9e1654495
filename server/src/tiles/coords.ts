/** Web Mercator tile coordinates, fractional: tile (z, x, y) spans x..x+1 and y..y+1 (y down). */
export const tileXAt = (lon: number, z: number) => ((lon + 180) / 360) * 2 ** z

export function tileYAt(lat: number, z: number) {
  const r = (Math.max(-85.05112878, Math.min(85.05112878, lat)) * Math.PI) / 180
  return ((1 - Math.log(Math.tan(r) + 1 / Math.cos(r)) / Math.PI) / 2) * 2 ** z
}

/** The sphere of web mercator (EPSG:3857), in metres. */
const R = 6_378_137
const RAD = Math.PI / 180
/** Half the side of the web mercator square: ST_TileEnvelope's bounds. */
export const HALF_WORLD = 20_037_508.342789244

/**
 * A point in web mercator metres as PostGIS's ST_Transform gives it: x to the bit; y differs in
 * the last bit for a few percent of latitudes (its libm), which moves a station across a
 * tile's pixel edge about once in a billion.
 */
export const mercatorX = (lon: number) => lon * RAD * R
export const mercatorY = (lat: number) => R * Math.asinh(Math.tan(lat * RAD))
export const lonOf = (x: number) => x / R / RAD
export const latOf = (y: number) => Math.atan(Math.sinh(y / R)) / RAD

/** ST_TileEnvelope(z, x, y), to the bit: [xmin, ymin, xmax, ymax] in web mercator metres. */
export function tileEnvelope(z: number, x: number, y: number) {
  const size = (2 * HALF_WORLD) / 2 ** z
  return [
    -HALF_WORLD + x * size,
    HALF_WORLD - (y + 1) * size,
    -HALF_WORLD + (x + 1) * size,
    HALF_WORLD - y * size,
  ] as const
}
