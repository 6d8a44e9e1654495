import type { Knex } from 'knex'

// At national scale the history grows by billions of rows a year: it is partitioned by month
// (UTC) of reported_at, so a month is dropped whole instead of deleted row by row, and each
// month's indexes stay small. A DEFAULT partition takes what no month holds yet (a bulk load
// of old history); history_add_month moves such rows into their own month later.
// The primary key includes reported_at, as PostgreSQL requires of a partitioned table.
/** Renames the table and the names it holds schema-wide, so the new table can take them. */
async function setAside(knex: Knex, name: string) {
  await knex.raw(`ALTER TABLE status_reports RENAME TO ${name}`)
  await knex.raw(`ALTER INDEX status_reports_pkey RENAME TO ${name}_pkey`)
  await knex.raw(`ALTER INDEX status_reports_station_time_idx RENAME TO ${name}_station_time_idx`)
  await knex.raw(`ALTER SEQUENCE status_reports_id_seq RENAME TO ${name}_id_seq`)
}

export async function up(knex: Knex): Promise<void> {
  // Creates the month's partition of parent (partitioned on column) unless it exists, moving
  // the month's rows out of the default partition first. Serialised across nodes.
  await knex.raw(`
    CREATE FUNCTION history_add_month(parent text, partition_column text, month date)
    RETURNS boolean LANGUAGE plpgsql AS $$
    DECLARE
      name text := parent || '_' || to_char(month, '"y"YYYY"m"MM');
      low timestamptz := make_timestamptz(extract(year FROM month)::int,
                                          extract(month FROM month)::int, 1, 0, 0, 0, 'UTC');
      high timestamptz := low + interval '1 month';
    BEGIN
      PERFORM pg_advisory_xact_lock(hashtext('history_add_month'));
      IF to_regclass(name) IS NOT NULL THEN
        RETURN false;
      END IF;
      EXECUTE format('CREATE TABLE %I (LIKE %I INCLUDING DEFAULTS INCLUDING CONSTRAINTS)',
                     name, parent);
      EXECUTE format('WITH moved AS (DELETE FROM %I WHERE %I >= $1 AND %I < $2 RETURNING *)
                      INSERT INTO %I SELECT * FROM moved',
                     parent || '_default', partition_column, partition_column, name)
        USING low, high;
      EXECUTE format('ALTER TABLE %I ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)',
                     parent, name, low, high);
      RETURN true;
    END $$`)

  await setAside(knex, 'status_reports_unpartitioned')
  await knex.raw(`
    CREATE TABLE status_reports (
      id bigint GENERATED ALWAYS AS IDENTITY,
      station_id integer NOT NULL
        CONSTRAINT status_reports_station_id_fkey REFERENCES stations(id) ON DELETE CASCADE,
      occupancy integer NOT NULL
        CONSTRAINT status_reports_occupancy_check CHECK (occupancy BETWEEN 0 AND 10000),
      charging_points_in_use integer CONSTRAINT status_reports_charging_points_in_use_check
        CHECK (charging_points_in_use BETWEEN 0 AND 10000),
      supplies jsonb NOT NULL DEFAULT '{}'::jsonb,
      note text CONSTRAINT status_reports_note_check CHECK (char_length(note) <= 500),
      reported_by integer
        CONSTRAINT status_reports_reported_by_fkey REFERENCES users(id) ON DELETE SET NULL,
      reported_at timestamptz NOT NULL DEFAULT now(),
      version integer NOT NULL CONSTRAINT status_reports_version_check CHECK (version >= 1),
      PRIMARY KEY (id, reported_at)
    ) PARTITION BY RANGE (reported_at)`)
  await knex.raw('CREATE TABLE status_reports_default PARTITION OF status_reports DEFAULT')
  await knex.raw(
    'CREATE INDEX status_reports_station_time_idx ON status_reports (station_id, reported_at)',
  )
  // The history listing pages a station's reports by id.
  await knex.raw('CREATE INDEX status_reports_station_id_idx ON status_reports (station_id, id)')
  await knex.raw(`
    CREATE TRIGGER status_reports_no_update BEFORE UPDATE ON status_reports
    FOR EACH ROW EXECUTE FUNCTION status_reports_append_only()`)

  await knex.raw(`
    INSERT INTO status_reports OVERRIDING SYSTEM VALUE
    SELECT id, station_id, occupancy, charging_points_in_use, supplies, note, reported_by,
           reported_at, version
      FROM status_reports_unpartitioned`)
  const { rows } = await knex.raw(
    'SELECT coalesce(max(id), 0) + 1 AS next FROM status_reports_unpartitioned',
  )
  await knex.raw(`ALTER TABLE status_reports ALTER COLUMN id RESTART WITH ${Number(rows[0].next)}`)
  await knex.raw('DROP TABLE status_reports_unpartitioned')
  // The months already written, and this one and the next two, get their partitions now.
  await knex.raw(`
    SELECT history_add_month('status_reports', 'reported_at', (month AT TIME ZONE 'UTC')::date)
      FROM (SELECT DISTINCT date_trunc('month', reported_at, 'UTC') AS month
              FROM status_reports_default
            UNION
            SELECT date_trunc('month', now(), 'UTC') + n * interval '1 month'
              FROM generate_series(0, 2) AS n) AS months
     ORDER BY month`)
}

export async function down(knex: Knex): Promise<void> {
  await setAside(knex, 'status_reports_partitioned')
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
  await knex.raw(`
    INSERT INTO status_reports OVERRIDING SYSTEM VALUE
    SELECT id, station_id, occupancy, charging_points_in_use, supplies, note, reported_by,
           reported_at, version
      FROM status_reports_partitioned`)
  const { rows } = await knex.raw(
    'SELECT coalesce(max(id), 0) + 1 AS next FROM status_reports_partitioned',
  )
  await knex.raw(`ALTER TABLE status_reports ALTER COLUMN id RESTART WITH ${Number(rows[0].next)}`)
  await knex.raw('DROP TABLE status_reports_partitioned')
  await knex.raw(`
    CREATE TRIGGER status_reports_no_update BEFORE UPDATE ON status_reports
    FOR EACH ROW EXECUTE FUNCTION status_reports_append_only()`)
  await knex.raw('DROP FUNCTION history_add_month(text, text, date)')
}
