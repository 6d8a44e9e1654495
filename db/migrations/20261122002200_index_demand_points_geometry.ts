import type { Knex } from 'knex'

// Coverage selects the demand inside a lon/lat bbox, which is a geometry comparison.
export async function up(knex: Knex): Promise<void> {
  await knex.raw(
    `CREATE INDEX demand_points_location_geom_gix ON demand_points
     USING gist ((location::geometry))`,
  )
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP INDEX demand_points_location_geom_gix')
}
