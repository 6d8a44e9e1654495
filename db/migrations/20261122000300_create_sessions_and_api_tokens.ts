import type { Knex } from 'knex'

// Only SHA-256 hashes of session ids and API tokens are stored: a leaked table grants nothing.
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE sessions (
      id_hash text PRIMARY KEY,
      user_id integer NOT NULL REFERENCES users(id) ON DELETE CASCADE,
      created_at timestamptz NOT NULL DEFAULT now(),
      expires_at timestamptz NOT NULL
    )`)
  await knex.raw('CREATE INDEX sessions_user_id_idx ON sessions (user_id)')
  await knex.raw(`
    CREATE TABLE api_tokens (
      id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      user_id integer NOT NULL REFERENCES users(id) ON DELETE CASCADE,
      name text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 100),
      token_hash text NOT NULL UNIQUE,
      created_at timestamptz NOT NULL DEFAULT now(),
      last_used_at timestamptz,
      revoked_at timestamptz
    )`)
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP TABLE api_tokens')
  await knex.raw('DROP TABLE sessions')
}
