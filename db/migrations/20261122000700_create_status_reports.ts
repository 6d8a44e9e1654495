import type { Knex } from 'knex'

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE status_reports (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      station_id integer NOT NULL REFERENCES stations(id) ON DELETE CASCADE,
      occupancy integer NOT NULL CHECK (occupancy BETWEEN 0 AND 10000),
      charging_points_in_use integer CHECK (charging_points_in_use BETWEEN 0 AND 10000),
      supplies jsonb NOT NULL DEFAULT '{}'::jsonb,
      note text CHECK (char_length(note) <= 500),
      reported_by integer REFERENCES users(id) ON DELETE SET NULL,
      reported_at timestamptz NOT NULL DEFAULT now(),
      version integer NOT NULL CHECK (version >= 1)
    )`)
  await knex.raw(
    'CREATE INDEX status_reports_station_time_idx ON status_reports (station_id, reported_at)',
  )
  // History is append-only: an accepted report is never rewritten.
  await knex.raw(`
    CREATE FUNCTION status_reports_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      RAISE EXCEPTION 'status_reports is append-only';
    END $$`)
  await knex.raw(`
    CREATE TRIGGER status_reports_no_update BEFORE UPDATE ON status_reports
    FOR EACH ROW EXECUTE FUNCTION status_reports_append_only()`)
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP TABLE status_reports')
  await knex.raw('DROP FUNCTION status_reports_append_only()')
}
