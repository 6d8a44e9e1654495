import type { Knex } from 'knex'

// Every change by an admin or an import: who, when, what, before and after. Rows are only
// ever added. Users and stations are kept (never deleted), so the references hold.
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE audit_log (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      at timestamptz NOT NULL DEFAULT now(),
      actor_id integer REFERENCES users (id),
      action text NOT NULL CHECK (char_length(action) BETWEEN 1 AND 64),
      station_id integer REFERENCES stations (id),
      user_id integer REFERENCES users (id),
      import_id text CHECK (char_length(import_id) <= 64),
      before jsonb,
      after jsonb
    )`)
  await knex.raw('CREATE INDEX audit_log_at_idx ON audit_log (at DESC, id DESC)')
  await knex.raw('CREATE INDEX audit_log_actor_idx ON audit_log (actor_id, id DESC)')
  await knex.raw('CREATE INDEX audit_log_station_idx ON audit_log (station_id, id DESC)')
  await knex.raw('CREATE INDEX audit_log_user_idx ON audit_log (user_id, id DESC)')
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP TABLE audit_log')
}
