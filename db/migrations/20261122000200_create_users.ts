import type { Knex } from 'knex'

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE users (
      id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      username text NOT NULL UNIQUE CHECK (username ~ '^[a-z0-9_.-]{3,64}$'),
      password_hash text NOT NULL,
      role text NOT NULL CHECK (role IN ('admin', 'planner', 'manager')),
      created_at timestamptz NOT NULL DEFAULT now()
    )`)
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP TABLE users')
}
