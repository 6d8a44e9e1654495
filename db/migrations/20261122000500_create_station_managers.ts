import type { Knex } from 'knex'

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE station_managers (
      user_id integer NOT NULL REFERENCES users(id) ON DELETE CASCADE,
      station_id integer NOT NULL REFERENCES stations(id) ON DELETE CASCADE,
      PRIMARY KEY (user_id, station_id)
    )`)
  await knex.raw('CREATE INDEX station_managers_station_idx ON station_managers (station_id)')
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP TABLE station_managers')
}
