import type { Knex } from 'knex'

// Hourly rollups of the history: per station and UTC hour, how many reports and their summed
// occupancy. Busy-hours reads a station's year from the key's index (an index-only scan),
// instead of thousands of report rows scattered over twelve months' partitions.
// Kept by a statement trigger in the same transaction as the reports, so it is never behind;
// partitioned by month like the history, so its retention also drops whole months.
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE status_hourly (
      station_id integer NOT NULL REFERENCES stations(id) ON DELETE CASCADE,
      hour timestamptz NOT NULL,
      reports integer NOT NULL CHECK (reports > 0),
      occupancy_sum bigint NOT NULL CHECK (occupancy_sum >= 0),
      -- the counts in the key's index: a closed month answers from the index alone
      PRIMARY KEY (station_id, hour) INCLUDE (reports, occupancy_sum)
    ) PARTITION BY RANGE (hour)`)
  await knex.raw('CREATE TABLE status_hourly_default PARTITION OF status_hourly DEFAULT')

  await knex.raw(`
    CREATE FUNCTION status_hourly_add() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      INSERT INTO status_hourly AS h (station_id, hour, reports, occupancy_sum)
      SELECT station_id, date_trunc('hour', reported_at, 'UTC'), count(*), sum(occupancy)
        FROM new_reports GROUP BY 1, 2
      ON CONFLICT (station_id, hour) DO UPDATE
        SET reports = h.reports + excluded.reports,
            occupancy_sum = h.occupancy_sum + excluded.occupancy_sum;
      RETURN NULL;
    END $$`)
  await knex.raw(`
    CREATE TRIGGER status_reports_hourly AFTER INSERT ON status_reports
    REFERENCING NEW TABLE AS new_reports
    FOR EACH STATEMENT EXECUTE FUNCTION status_hourly_add()`)

  await knex.raw(`
    INSERT INTO status_hourly (station_id, hour, reports, occupancy_sum)
    SELECT station_id, date_trunc('hour', reported_at, 'UTC'), count(*), sum(occupancy)
      FROM status_reports GROUP BY 1, 2`)
  await knex.raw(`
    SELECT history_add_month('status_hourly', 'hour', (month AT TIME ZONE 'UTC')::date)
      FROM (SELECT DISTINCT date_trunc('month', hour, 'UTC') AS month FROM status_hourly_default
            UNION
            SELECT date_trunc('month', now(), 'UTC') + n * interval '1 month'
              FROM generate_series(0, 2) AS n) AS months
     ORDER BY month`)
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP TRIGGER status_reports_hourly ON status_reports')
  await knex.raw('DROP FUNCTION status_hourly_add()')
  await knex.raw('DROP TABLE status_hourly')
}
