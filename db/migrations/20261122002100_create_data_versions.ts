import type { Knex } from 'knex'

const TRACKED = ['stations', 'demand_points', 'station_requests']

// A version per table that coverage results depend on, bumped by a statement-level trigger
// in the writing transaction. A reader that sees a new version also sees the change, so every
// server process can key its cache on these numbers (a sequence would move before the commit).
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE data_versions (
      name text PRIMARY KEY,
      version bigint NOT NULL DEFAULT 0
    )`)
  await knex.raw(
    `INSERT INTO data_versions (name) VALUES ${TRACKED.map((t) => `('${t}')`).join(', ')}`,
  )
  await knex.raw(`
    CREATE FUNCTION bump_data_version() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      UPDATE data_versions SET version = version + 1 WHERE name = TG_TABLE_NAME;
      RETURN NULL;
    END $$`)
  // Only the station columns coverage reads: renaming a station keeps cached results.
  await knex.raw(`
    CREATE TRIGGER stations_data_version
    AFTER INSERT OR DELETE OR TRUNCATE OR UPDATE OF location, state, city ON stations
    FOR EACH STATEMENT EXECUTE FUNCTION bump_data_version()`)
  for (const table of ['demand_points', 'station_requests']) {
    await knex.raw(`
      CREATE TRIGGER ${table}_data_version
      AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON ${table}
      FOR EACH STATEMENT EXECUTE FUNCTION bump_data_version()`)
  }
}

export async function down(knex: Knex): Promise<void> {
  for (const table of TRACKED) await knex.raw(`DROP TRIGGER ${table}_data_version ON ${table}`)
  await knex.raw('DROP FUNCTION bump_data_version()')
  await knex.raw('DROP TABLE data_versions')
}
