import type { Knex } from 'knex'
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
