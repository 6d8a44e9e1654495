import type { Knex } from 'knex'

// A report's Idempotency-Key, scoped to the user who sent it, with the first answer.
// The primary key serialises racing requests: the second insert waits for the first
// transaction and then finds its row.
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE idempotency_keys (
      user_id integer NOT NULL REFERENCES users(id) ON DELETE CASCADE,
      key text NOT NULL CHECK (char_length(key) BETWEEN 1 AND 200),
      request_hash text NOT NULL,
      status_code integer NOT NULL,
      response jsonb NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (user_id, key)
    )`)
  await knex.raw('CREATE INDEX idempotency_keys_created_idx ON idempotency_keys (created_at)')
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP TABLE idempotency_keys')
}
