import type { Knex } from 'knex'

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE station_requests (
      id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      location geography(Point, 4326) NOT NULL
        CHECK (ST_X(location::geometry) BETWEEN -180 AND 180
           AND ST_Y(location::geometry) BETWEEN -90 AND 90),
      note text NOT NULL DEFAULT '' CHECK (char_length(note) <= 500),
      amenities text[] NOT NULL DEFAULT '{}'
        CHECK (amenities <@ ARRAY['rest_seating', 'drinking_water', 'hot_water', 'heating', 'air_conditioning', 'rain_shelter', 'phone_charging', 'ebike_charging', 'battery_swap', 'microwave', 'fridge', 'toilet', 'first_aid', 'sanitary_products', 'wifi']::text[]),
      created_at timestamptz NOT NULL DEFAULT now()
    )`)
  await knex.raw(
    'CREATE INDEX station_requests_location_gix ON station_requests USING gist (location)',
  )
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP TABLE station_requests')
}
