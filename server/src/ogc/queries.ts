import type { Knex } from 'knex'
import type { Bbox } from '../../../contract/bbox.ts'

/** A bbox given in another CRS as the WGS-84 box around it. */
export async function toWgs84Bbox(
  knex: Knex,
  [minX, minY, maxX, maxY]: readonly [number, number, number, number],
  srid: number,
): Promise<Bbox> {
  const { rows } = await knex.raw<{ rows: Record<'w' | 's' | 'e' | 'n', number>[] }>(
    `SELECT ST_XMin(b) AS w, ST_YMin(b) AS s, ST_XMax(b) AS e, ST_YMax(b) AS n
       FROM (SELECT ST_Transform(ST_MakeEnvelope(?, ?, ?, ?, ?::int), 4326) AS b) t`,
    [minX, minY, maxX, maxY, srid],
  )
  const r = rows[0]!
  return [r.w, r.s, r.e, r.n]
}

export interface Extent {
  bbox: Bbox | null
  interval: [string | null, string | null] | null
}

const iso = (d: Date | string | null) => (d ? new Date(d).toISOString() : null)

/** Where the stations lie and when they last reported. */
export async function stationsExtent(knex: Knex): Promise<Extent> {
  const { rows } = await knex.raw(
    `SELECT ST_XMin(e) AS w, ST_YMin(e) AS s, ST_XMax(e) AS e, ST_YMax(e) AS n, first, last
       FROM (SELECT ST_Extent(s.location::geometry) AS e, min(st.reported_at) AS first,
                    max(st.reported_at) AS last
               FROM stations s LEFT JOIN station_status st ON st.station_id = s.id
              WHERE s.state <> 'retired') t`,
  )
  return toExtent(rows[0])
}

/** Where and when the station requests were made. */
export async function requestsExtent(knex: Knex): Promise<Extent> {
  const { rows } = await knex.raw(
    `SELECT ST_XMin(e) AS w, ST_YMin(e) AS s, ST_XMax(e) AS e, ST_YMax(e) AS n, first, last
       FROM (SELECT ST_Extent(location::geometry) AS e, min(created_at) AS first,
                    max(created_at) AS last
               FROM station_requests) t`,
  )
  return toExtent(rows[0])
}

function toExtent(r: {
  w: number | null
  s: number
  e: number
  n: number
  first: Date | null
  last: Date | null
}): Extent {
  return {
    bbox: r.w === null ? null : [r.w, r.s, r.e, r.n],
    interval: r.first ? [iso(r.first), iso(r.last)] : null,
  }
}
