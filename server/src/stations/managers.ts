import type { Knex } from 'knex'
import type { AuthUser } from '../auth/queries.ts'

// Who manages which station: the one place that reads and writes station_managers.

export async function mayManage(knex: Knex, user: AuthUser, stationId: number): Promise<boolean> {
  if (user.role === 'admin') return true
  if (user.role !== 'manager') return false
  return Boolean(
    await knex('station_managers').where({ user_id: user.id, station_id: stationId }).first(),
  )
}

export async function managersOf(knex: Knex, stationId: number): Promise<number[]> {
  return knex('station_managers').where({ station_id: stationId }).pluck('user_id')
}

export async function managedStationIds(knex: Knex, userId: number): Promise<number[]> {
  return knex('station_managers')
    .where({ user_id: userId })
    .orderBy('station_id')
    .pluck('station_id')
}

/** The ids of the stations a user manages, as a subquery. */
export const stationsManagedBy = (knex: Knex, userId: number) =>
  knex('station_managers').select('station_id').where('user_id', userId)

/** A select column `manages`: whether the user manages the station aliased `s`. */
export const managesColumn = (knex: Knex, userId: number) =>
  knex.raw(
    'EXISTS (SELECT 1 FROM station_managers m WHERE m.station_id = s.id AND m.user_id = ?) AS manages',
    [userId],
  )

/** Assigns stations to a manager; the ones newly assigned. */
export async function assignStations(knex: Knex, userId: number, stationIds: number[]) {
  if (!stationIds.length) return []
  const rows = await knex('station_managers')
    .insert(stationIds.map((station_id) => ({ user_id: userId, station_id })))
    .onConflict(['user_id', 'station_id'])
    .ignore()
    .returning('station_id')
  return rows.map((r: { station_id: number }) => r.station_id)
}

export async function unassignStation(knex: Knex, userId: number, stationId: number) {
  // Counted from returning(): knex-pglite answers a delete with a result, not a row count.
  const gone = await knex('station_managers')
    .where({ user_id: userId, station_id: stationId })
    .delete()
    .returning('station_id')
  return gone.length > 0
}
