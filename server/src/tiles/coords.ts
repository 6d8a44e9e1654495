/** Web Mercator tile coordinates, fractional: tile (z, x, y) spans x..x+1 and y..y+1 (y down). */
export const tileXAt = (lon: number, z: number) => ((lon + 180) / 360) * 2 ** z

export function tileYAt(lat: number, z: number) {
  const r = (Math.max(-85.05112878, Math.min(85.05112878, lat)) * Math.PI) / 180
  return ((1 - Math.log(Math.tan(r) + 1 / Math.cos(r)) / Math.PI) / 2) * 2 ** z
}
