import type { Knex } from 'knex'
import type { AuthUser } from '../auth/queries.ts'

// Who manages which station: the one place that reads station_managers.

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
