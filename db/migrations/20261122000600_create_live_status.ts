import type { Knex } from 'knex'

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE station_status (
      station_id integer PRIMARY KEY REFERENCES stations(id) ON DELETE CASCADE,
      occupancy integer NOT NULL DEFAULT 0 CHECK (occupancy BETWEEN 0 AND 10000),
      charging_points_in_use integer NOT NULL DEFAULT 0
        CHECK (charging_points_in_use BETWEEN 0 AND 10000),
      reported_at timestamptz,
      reported_by integer REFERENCES users(id) ON DELETE SET NULL,
      version integer NOT NULL DEFAULT 0 CHECK (version >= 0)
    )`)
  await knex.raw(`
    CREATE TABLE station_supplies (
      station_id integer NOT NULL REFERENCES stations(id) ON DELETE CASCADE,
      item text NOT NULL CHECK (item IN ('drinking_water', 'first_aid', 'heatstroke_medicine', 'sanitary_products', 'hand_warmers', 'umbrellas')),
      level integer NOT NULL CHECK (level BETWEEN 0 AND 100),
      low_threshold integer NOT NULL DEFAULT 20 CHECK (low_threshold BETWEEN 0 AND 100),
      updated_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (station_id, item)
    )`)
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP TABLE station_supplies')
  await knex.raw('DROP TABLE station_status')
}
