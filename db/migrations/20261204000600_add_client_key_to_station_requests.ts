import type { Knex } from 'knex'

// A request made offline is sent again once the phone is back online, maybe more than once:
// the client's key keeps those retries to one request.
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    ALTER TABLE station_requests
      ADD COLUMN client_key text UNIQUE CHECK (char_length(client_key) BETWEEN 1 AND 200)`)
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('ALTER TABLE station_requests DROP COLUMN client_key')
}
