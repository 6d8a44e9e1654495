import type { Knex } from 'knex'

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE stations (
      id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      code text NOT NULL UNIQUE CHECK (code ~ '^[A-Z0-9][A-Z0-9-]{1,39}$'),
      name text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
      address text NOT NULL DEFAULT '' CHECK (char_length(address) <= 500),
      city text NOT NULL DEFAULT '' CHECK (char_length(city) <= 100),
      district text NOT NULL DEFAULT '' CHECK (char_length(district) <= 100),
      operator text NOT NULL DEFAULT '' CHECK (char_length(operator) <= 200),
      location geography(Point, 4326) NOT NULL
        CHECK (ST_X(location::geometry) BETWEEN -180 AND 180
           AND ST_Y(location::geometry) BETWEEN -90 AND 90),
      amenities text[] NOT NULL DEFAULT '{}'
        CHECK (amenities <@ ARRAY['rest_seating', 'drinking_water', 'hot_water', 'heating', 'air_conditioning', 'rain_shelter', 'phone_charging', 'ebike_charging', 'battery_swap', 'microwave', 'fridge', 'toilet', 'first_aid', 'sanitary_products', 'wifi']::text[]),
      capacity integer NOT NULL CHECK (capacity BETWEEN 0 AND 10000),
      charging_points integer NOT NULL DEFAULT 0 CHECK (charging_points BETWEEN 0 AND 10000),
      opening_hours text NOT NULL DEFAULT '24/7' CHECK (char_length(opening_hours) BETWEEN 1 AND 255),
      timezone text NOT NULL DEFAULT 'Asia/Shanghai',
      phone text NOT NULL DEFAULT '' CHECK (char_length(phone) <= 40),
      state text NOT NULL DEFAULT 'active'
        CHECK (state IN ('active', 'temporarily_closed', 'retired')),
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    )`)
  await knex.raw('CREATE INDEX stations_location_gix ON stations USING gist (location)')
  // Bounding-box and tile queries compare against lon/lat rectangles, so they use geometry.
  await knex.raw(
    'CREATE INDEX stations_location_geom_gix ON stations USING gist ((location::geometry))',
  )
  await knex.raw('CREATE INDEX stations_amenities_gin ON stations USING gin (amenities)')
  await knex.raw('CREATE INDEX stations_city_idx ON stations (city)')
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP TABLE stations')
}
