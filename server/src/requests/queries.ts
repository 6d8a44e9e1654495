import type { Knex } from 'knex'
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
