import type { Knex } from 'knex'

// A status change is announced with the version it made, so the node that wrote a report (and
// has handed it on already) need not read it back from the feed:
//   s:<station id>:<version>   the status moved to this version (with its supplies, if any)
//   s:<station id>             anything else: supplies alone, or a status written without a
//                              new version; always read
// The supplies of a status written in the same transaction are that status's change: they are
// not announced again.
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE FUNCTION live_notify_status_version() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF NEW.version > OLD.version THEN
        PERFORM pg_notify('yizhan_live', 's:' || NEW.station_id || ':' || NEW.version);
      ELSE
        PERFORM pg_notify('yizhan_live', 's:' || NEW.station_id);
      END IF;
      RETURN NULL;
    END $$`)
  await knex.raw(`
    CREATE FUNCTION live_notify_supplies() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF NOT EXISTS (SELECT 1 FROM station_status
                      WHERE station_id = NEW.station_id AND xmin = pg_current_xact_id()::xid) THEN
        PERFORM pg_notify('yizhan_live', 's:' || NEW.station_id);
      END IF;
      RETURN NULL;
    END $$`)
  await triggersCall(knex, 'live_notify_status_version', 'live_notify_supplies')
  await knex.raw('DROP FUNCTION live_notify_status()')
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE FUNCTION live_notify_status() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      PERFORM pg_notify('yizhan_live', 's:' || NEW.station_id);
      RETURN NULL;
    END $$`)
  await triggersCall(knex, 'live_notify_status', 'live_notify_status')
  await knex.raw('DROP FUNCTION live_notify_supplies()')
  await knex.raw('DROP FUNCTION live_notify_status_version()')
}

/** Points the status and supplies triggers at these functions. */
async function triggersCall(knex: Knex, status: string, supplies: string) {
  await knex.raw('DROP TRIGGER station_status_live ON station_status')
  await knex.raw('DROP TRIGGER station_supplies_live ON station_supplies')
  await knex.raw(`
    CREATE TRIGGER station_status_live AFTER UPDATE ON station_status
    FOR EACH ROW EXECUTE FUNCTION ${status}()`)
  await knex.raw(`
    CREATE TRIGGER station_supplies_live AFTER INSERT OR UPDATE ON station_supplies
    FOR EACH ROW EXECUTE FUNCTION ${supplies}()`)
}
