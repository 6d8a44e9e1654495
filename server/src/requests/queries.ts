import type { Knex } from 'knex'
import type { Bbox } from '../../../contract/bbox.ts'
import { pointFeaturePage } from '../http/paging.ts'
import type { CreateRequest, ListRequestsQuery } from './schema.ts'

interface RequestRow {
  id: number
  lon: number
  lat: number
  note: string
  amenities: string[]
  created_at: Date
}

const columns = (knex: Knex) => [
  'id',
  knex.raw('ST_X(location::geometry) AS lon'),
  knex.raw('ST_Y(location::geometry) AS lat'),
  'note',
  'amenities',
  'created_at',
]

function toRequest({ lon, lat, created_at, ...rest }: RequestRow) {
  return { ...rest, location: { lon, lat }, created_at: new Date(created_at).toISOString() }
}

/**
 * Records a request; with a client key already used, returns the request first made under it
 * (`created` false) and records nothing.
 */
export async function createRequest(knex: Knex, body: CreateRequest, clientKey?: string) {
  const [row]: RequestRow[] = await knex('station_requests')
    .insert({
      location: knex.raw('ST_SetSRID(ST_MakePoint(?, ?), 4326)::geography', [
        body.location.lon,
        body.location.lat,
      ]),
      note: body.note,
      amenities: body.amenities,
      client_key: clientKey ?? null,
    })
    .onConflict('client_key')
    .ignore()
    .returning(columns(knex))
  if (row) return { created: true, request: toRequest(row) }
  const first: RequestRow = await knex('station_requests')
    .select(columns(knex))
    .where({ client_key: clientKey })
    .first()
  return { created: false, request: toRequest(first) }
}

export async function findRequestsInBbox(knex: Knex, q: ListRequestsQuery) {
  const [w, s, e, n] = q.bbox
  const query = knex('station_requests')
    .select(columns(knex))
    .whereRaw('location::geometry && ST_MakeEnvelope(?, ?, ?, ?, 4326)', [w, s, e, n])
    .orderBy('id')
    .limit(q.limit + 1)
  if (q.cursor) query.where('id', '>', q.cursor)
  const rows: RequestRow[] = await query
  return pointFeaturePage(rows, q.limit, toRequest)
}

/** What an OGC read of the requests selects: a box (WGS-84) and when they were made. */
export interface RequestTableQuery {
  bbox?: Readonly<Bbox>
  created?: { from?: Date; to?: Date }
}

function whereRequests(query: Knex.QueryBuilder, q: RequestTableQuery) {
  if (q.bbox) query.whereRaw('location::geometry && ST_MakeEnvelope(?, ?, ?, ?, 4326)', [...q.bbox])
  if (q.created?.from) query.where('created_at', '>=', q.created.from)
  if (q.created?.to) query.where('created_at', '<=', q.created.to)
  return query
}

/** A page of requests by id, each with its position in `srid` (x, y as PostGIS orders them). */
export async function findRequestRows(
  knex: Knex,
  q: RequestTableQuery & { limit: number; offset: number; srid: number; id?: number },
) {
  const query = whereRequests(knex('station_requests'), q)
    .select('id', 'note', 'amenities', 'created_at')
    .select(
      knex.raw('ST_X(ST_Transform(location::geometry, ?::int)) AS x', [q.srid]),
      knex.raw('ST_Y(ST_Transform(location::geometry, ?::int)) AS y', [q.srid]),
    )
    .orderBy('id')
    .limit(q.limit)
    .offset(q.offset)
  if (q.id !== undefined) query.where('id', q.id)
  const rows: (Omit<RequestRow, 'lon' | 'lat'> & { x: number; y: number })[] = await query
  return rows.map(({ x, y, created_at, amenities, ...r }) => ({
    row: { ...r, amenities: amenities.join(','), created_at: new Date(created_at).toISOString() },
    position: [x, y] as const,
  }))
}

export async function countRequests(knex: Knex, q: RequestTableQuery) {
  const [row] = await whereRequests(knex('station_requests'), q).count<{ n: string }[]>({ n: '*' })
  return Number(row?.n ?? 0)
}
