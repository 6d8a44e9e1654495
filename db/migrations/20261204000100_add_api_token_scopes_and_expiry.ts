import type { Knex } from 'knex'

// A token carries scopes (never more than its user's role allows) and always expires.
// Tokens made before scopes existed keep what their user's role could do, for 90 days.
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    ALTER TABLE api_tokens
      ADD COLUMN scopes text[] NOT NULL DEFAULT '{read}'
        CHECK (cardinality(scopes) >= 1 AND scopes <@ ARRAY['read', 'report', 'plan', 'admin']),
      ADD COLUMN expires_at timestamptz`)
  await knex.raw(`
    UPDATE api_tokens t
       SET scopes = CASE u.role WHEN 'admin' THEN '{read,report,plan,admin}'::text[]
                                WHEN 'planner' THEN '{read,plan}'::text[]
                                ELSE '{read,report}'::text[] END,
           expires_at = now() + interval '90 days'
      FROM users u WHERE u.id = t.user_id`)
  await knex.raw('ALTER TABLE api_tokens ALTER COLUMN expires_at SET NOT NULL')
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('ALTER TABLE api_tokens DROP COLUMN expires_at, DROP COLUMN scopes')
}
