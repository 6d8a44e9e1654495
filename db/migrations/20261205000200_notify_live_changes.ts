import type { Knex } from 'knex'

// The live change feed: each committed change to a station, its status, its supplies or its
// alerts is announced on one channel, from inside the writing transaction, so it goes out
// exactly when (and only if) the transaction commits, whoever wrote it (the API, an import,
// a script). Payloads are ids to re-read, and identical payloads of one transaction are
// delivered once: a report touching a status and three supplies is one `s:<id>`.
//   s:<station id>                        status or supplies changed
//   c:<station id>:created
//   c:<station id>:updated|retired:<lon>:<lat>   with where it stood before
//   a:<alert id>                          a low-stock alert opened
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE FUNCTION live_notify_status() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      PERFORM pg_notify('yizhan_live', 's:' || NEW.station_id);
      RETURN NULL;
    END $$`)
  await knex.raw(`
    CREATE TRIGGER station_status_live AFTER UPDATE ON station_status
    FOR EACH ROW EXECUTE FUNCTION live_notify_status()`)
  await knex.raw(`
    CREATE TRIGGER station_supplies_live AFTER INSERT OR UPDATE ON station_supplies
    FOR EACH ROW EXECUTE FUNCTION live_notify_status()`)

  await knex.raw(`
    CREATE FUNCTION live_notify_station() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'INSERT' THEN
        PERFORM pg_notify('yizhan_live', 'c:' || NEW.id || ':created');
      ELSE
        PERFORM pg_notify('yizhan_live', 'c:' || NEW.id || ':' ||
          CASE WHEN NEW.state = 'retired' AND OLD.state <> 'retired' THEN 'retired' ELSE 'updated' END ||
          ':' || ST_X(OLD.location::geometry) || ':' || ST_Y(OLD.location::geometry));
      END IF;
      RETURN NULL;
    END $$`)
  await knex.raw(`
    CREATE TRIGGER stations_live AFTER INSERT OR UPDATE ON stations
    FOR EACH ROW EXECUTE FUNCTION live_notify_station()`)

  await knex.raw(`
    CREATE FUNCTION live_notify_alert() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      PERFORM pg_notify('yizhan_live', 'a:' || NEW.id);
      RETURN NULL;
    END $$`)
  await knex.raw(`
    CREATE TRIGGER supply_alerts_live AFTER INSERT ON supply_alerts
    FOR EACH ROW EXECUTE FUNCTION live_notify_alert()`)
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP TRIGGER supply_alerts_live ON supply_alerts')
  await knex.raw('DROP TRIGGER stations_live ON stations')
  await knex.raw('DROP TRIGGER station_supplies_live ON station_supplies')
  await knex.raw('DROP TRIGGER station_status_live ON station_status')
  await knex.raw('DROP FUNCTION live_notify_alert()')
  await knex.raw('DROP FUNCTION live_notify_station()')
  await knex.raw('DROP FUNCTION live_notify_status()')
}
