import type { Knex } from 'knex'

// The distinct (opening_hours, timezone) pairs in use. open_now is evaluated in the
// server with the opening_hours library for each pair (there are few), and the
// open pairs are handed to SQL, so an open_now filter stays one exact KNN query.
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE opening_schedules (
      opening_hours text NOT NULL,
      timezone text NOT NULL,
      PRIMARY KEY (opening_hours, timezone)
    )`)
  // Statement-level with a transition table, so a bulk insert of a million stations pays once.
  await knex.raw(`
    CREATE FUNCTION stations_track_opening_schedules() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      INSERT INTO opening_schedules (opening_hours, timezone)
      SELECT DISTINCT opening_hours, timezone FROM changed_rows
      ON CONFLICT DO NOTHING;
      RETURN NULL;
    END $$`)
  for (const event of ['INSERT', 'UPDATE']) {
    await knex.raw(`
      CREATE TRIGGER stations_opening_schedules_${event.toLowerCase()} AFTER ${event} ON stations
      REFERENCING NEW TABLE AS changed_rows
      FOR EACH STATEMENT EXECUTE FUNCTION stations_track_opening_schedules()`)
  }
  await knex.raw(`
    INSERT INTO opening_schedules (opening_hours, timezone)
    SELECT DISTINCT opening_hours, timezone FROM stations ON CONFLICT DO NOTHING`)
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP TRIGGER stations_opening_schedules_insert ON stations')
  await knex.raw('DROP TRIGGER stations_opening_schedules_update ON stations')
  await knex.raw('DROP FUNCTION stations_track_opening_schedules()')
  await knex.raw('DROP TABLE opening_schedules')
}
