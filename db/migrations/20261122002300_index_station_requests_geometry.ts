import type { Knex } from 'knex'

// The planner listing and coverage select station requests inside a lon/lat bbox.
export async function up(knex: Knex): Promise<void> {
  await knex.raw(
    `CREATE INDEX station_requests_location_geom_gix ON station_requests
     USING gist ((location::geometry))`,
  )
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP INDEX station_requests_location_geom_gix')
}
