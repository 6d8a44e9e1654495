import type { Knex } from 'knex'

// An account may be limited to a region (NULL: no limit at each level); a disabled account
// keeps its history but can no longer sign in.
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    ALTER TABLE users
      ADD COLUMN region_province text CHECK (char_length(region_province) BETWEEN 1 AND 100),
      ADD COLUMN region_city text CHECK (char_length(region_city) BETWEEN 1 AND 100),
      ADD COLUMN region_district text CHECK (char_length(region_district) BETWEEN 1 AND 100),
      ADD COLUMN disabled_at timestamptz`)
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    ALTER TABLE users
      DROP COLUMN region_province, DROP COLUMN region_city, DROP COLUMN region_district,
      DROP COLUMN disabled_at`)
}
