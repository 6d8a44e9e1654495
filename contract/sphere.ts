export type LonLat = [lon: number, lat: number]

// PostGIS measures geography on a sphere of the WGS 84 mean radius when use_spheroid is false.
const SPHERE_M = 6_371_008.771415

/** Great-circle metres between two points, as PostGIS's ST_Distance(…, false) gives them. */
export function metres([lon1, lat1]: LonLat, [lon2, lat2]: LonLat): number {
  const rad = Math.PI / 180
  const h =
    Math.sin(((lat2 - lat1) * rad) / 2) ** 2 +
    Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.sin(((lon2 - lon1) * rad) / 2) ** 2
  return 2 * SPHERE_M * Math.asin(Math.sqrt(h))
}
