import type { Knex } from 'knex'
import { queryPrepared } from '../db/prepared.ts'
import type { Role } from '../stations/vocabulary.ts'
import { sha256 } from './passwords.ts'

export interface AuthUser {
  id: number
  username: string
  role: Role
}

export async function findUserForLogin(knex: Knex, username: string) {
  return knex('users')
    .select('id', 'username', 'role', 'password_hash')
    .where({ username })
    .first<(AuthUser & { password_hash: string }) | undefined>()
}

export async function createSession(knex: Knex, userId: number, sessionId: string, ttlMs: number) {
  await knex('sessions').insert({
    id_hash: sha256(sessionId),
    user_id: userId,
    expires_at: new Date(Date.now() + ttlMs),
  })
}

export async function deleteSession(knex: Knex, sessionId: string) {
  await knex('sessions')
    .where({ id_hash: sha256(sessionId) })
    .delete()
}

export async function userBySession(knex: Knex, sessionId: string): Promise<AuthUser | undefined> {
  const [user] = await queryPrepared<AuthUser>(
    knex,
    knex('sessions as se')
      .join('users as u', 'u.id', 'se.user_id')
      .select('u.id', 'u.username', 'u.role')
      .where('se.id_hash', sha256(sessionId))
      .where('se.expires_at', '>', new Date()),
  )
  return user
}

export async function userByApiToken(knex: Knex, token: string): Promise<AuthUser | undefined> {
  const row = await knex('api_tokens as t')
    .join('users as u', 'u.id', 't.user_id')
    .select('u.id', 'u.username', 'u.role', 't.id as token_id')
    .where('t.token_hash', sha256(token))
    .whereNull('t.revoked_at')
    .first()
  if (!row) return undefined
  await knex('api_tokens').where({ id: row.token_id }).update({ last_used_at: knex.fn.now() })
  return { id: row.id, username: row.username, role: row.role }
}

export async function managedStationIds(knex: Knex, userId: number): Promise<number[]> {
  return knex('station_managers')
    .where({ user_id: userId })
    .orderBy('station_id')
    .pluck('station_id')
}

export async function createApiToken(knex: Knex, userId: number, name: string, token: string) {
  const [row] = await knex('api_tokens')
    .insert({ user_id: userId, name, token_hash: sha256(token) })
    .returning(['id', 'name', 'created_at'])
  return row as { id: number; name: string; created_at: Date }
}

export async function listApiTokens(knex: Knex, userId: number) {
  return knex('api_tokens')
    .select('id', 'name', 'created_at', 'last_used_at', 'revoked_at')
    .where({ user_id: userId })
    .orderBy('id')
}

export async function revokeApiToken(knex: Knex, userId: number, id: number): Promise<boolean> {
  const revoked = await knex('api_tokens')
    .where({ id, user_id: userId })
    .whereNull('revoked_at')
    .update({ revoked_at: knex.fn.now() })
    .returning('id')
  return revoked.length > 0
}
