import type { Knex } from 'knex'
import type { Bbox } from '../../../contract/bbox.ts'
import type { StationRow } from '../stations/queries.ts'

/**
 * Changes with every committed write to stations: an insert or delete changes the count, and
 * every update sets updated_at to its transaction's time, which moves the exact (numeric) sum
 * even when an older transaction commits after a newer one. One scan of a small table.
 */
export async function placesVersion(knex: Knex): Promise<string> {
  const row = await knex('stations')
    .select(
      knex.raw(
        `count(*)::text || ':' || coalesce(sum(extract(epoch FROM updated_at)), 0)::text AS v`,
      ),
    )
    .first()
  return String(row.v)
}

export type StationPlaceRow = Pick<
  StationRow,
  'id' | 'code' | 'name' | 'address' | 'province' | 'city' | 'district' | 'lon' | 'lat'
>

export interface RegionPlaceRow {
  province: string
  city: string
  /** Empty for a city. */
  district: string
  lon: number
  lat: number
  bbox: Bbox
}

export function stationPlaces(knex: Knex): Promise<StationPlaceRow[]> {
  return knex('stations')
    .whereNot('state', 'retired')
    .orderBy('id')
    .select(
      'id',
      'code',
      'name',
      'address',
      'province',
      'city',
      'district',
      knex.raw('ST_X(location::geometry) AS lon'),
      knex.raw('ST_Y(location::geometry) AS lat'),
    )
}

/**
 * Cities and districts as the station data names them, each placed at the geometric median of
 * its stations (in the city core even when a few stations lie far out) with their extent. We
 * hold no boundaries: the stations stand in for them, as in the coverage summary.
 */
export async function regionPlaces(knex: Knex): Promise<RegionPlaceRow[]> {
  const { rows } = await knex.raw<{
    rows: (Omit<RegionPlaceRow, 'bbox'> & Record<string, number>)[]
  }>(`
    WITH regions AS (
      SELECT province, city, coalesce(district, '') AS district,
             ST_Collect(location::geometry) AS points
        FROM stations
       WHERE state <> 'retired' AND city <> ''
       GROUP BY GROUPING SETS ((province, city), (province, city, district))
      HAVING grouping(district) = 1 OR district <> ''
    )
    SELECT province, city, district,
           ST_X(median) AS lon, ST_Y(median) AS lat,
           ST_XMin(points) AS w, ST_YMin(points) AS s, ST_XMax(points) AS e, ST_YMax(points) AS n
      FROM (SELECT *, ST_GeometricMedian(points) AS median FROM regions) r
     ORDER BY city, district`)
  return rows.map(({ w, s, e, n, ...row }) => ({ ...row, bbox: [w!, s!, e!, n!] }))
}
