import type { Knex } from 'knex'

export async function up(knex: Knex): Promise<void> {
  await knex.raw('CREATE EXTENSION IF NOT EXISTS postgis')
}

export async function down(): Promise<void> {
  // Other databases objects may depend on PostGIS; dropping it is left to the operator.
}
