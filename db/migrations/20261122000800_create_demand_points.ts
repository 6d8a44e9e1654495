import type { Knex } from 'knex'

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE demand_points (
      id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      location geography(Point, 4326) NOT NULL
        CHECK (ST_X(location::geometry) BETWEEN -180 AND 180
           AND ST_Y(location::geometry) BETWEEN -90 AND 90),
      weight real NOT NULL DEFAULT 1 CHECK (weight > 0 AND weight <= 100000),
      kind text NOT NULL DEFAULT 'hotspot' CHECK (char_length(kind) BETWEEN 1 AND 50),
      source text NOT NULL DEFAULT 'seed' CHECK (source IN ('seed', 'upload')),
      created_at timestamptz NOT NULL DEFAULT now()
    )`)
  await knex.raw('CREATE INDEX demand_points_location_gix ON demand_points USING gist (location)')
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP TABLE demand_points')
}
