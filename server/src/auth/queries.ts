import type { Knex } from 'knex'
import { queryPrepared } from '../db/prepared.ts'
import { ROLE_SCOPES, type Role, type Scope } from '../../../contract/vocabulary.ts'
import { sha256 } from './passwords.ts'
import { regionOf, type Region } from './region.ts'

/** The sign-in a request or socket came with, so logout or revocation can end what used it. */
export type Credential = { kind: 'session'; hash: string } | { kind: 'token'; id: number }

export interface AuthUser {
  id: number
  username: string
  role: Role
  /** What this credential may do: the role's scopes for a session, the token's own for a token. */
  scopes: readonly Scope[]
  credential: Credential
  expires_at: Date
  /** Where an admin may act; `{}` everywhere. */
  region: Region
}

type RegionRow = Parameters<typeof regionOf>[0]
type UserRow = Pick<AuthUser, 'id' | 'username' | 'role' | 'expires_at'> & RegionRow

/** An account's id, name, role and region, from `users as u`. */
export const USER_COLUMNS = [
  'u.id',
  'u.username',
  'u.role',
  'u.region_province',
  'u.region_city',
  'u.region_district',
]

function toAuthUser(row: UserRow, scopes: readonly Scope[], credential: Credential): AuthUser {
  const { region_province: _p, region_city: _c, region_district: _d, ...user } = row
  return { ...user, scopes, credential, region: regionOf(row) }
}

/** A disabled account is not found: it signs in no more than an unknown one. */
export async function findUserForLogin(knex: Knex, username: string) {
  const row = await knex('users as u')
    .select(...USER_COLUMNS, 'u.password_hash')
    .where({ username })
    .whereNull('disabled_at')
    .first<(UserRow & { password_hash: string }) | undefined>()
  if (!row) return undefined
  const { region_province: _p, region_city: _c, region_district: _d, ...user } = row
  return { ...user, region: regionOf(row) }
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
  const hash = sha256(sessionId)
  const [user] = await queryPrepared<UserRow>(
    knex,
    knex('sessions as se')
      .join('users as u', 'u.id', 'se.user_id')
      .select(...USER_COLUMNS, 'se.expires_at')
      .where('se.id_hash', hash)
      .where('se.expires_at', '>', new Date())
      .whereNull('u.disabled_at'),
  )
  return user && toAuthUser(user, ROLE_SCOPES[user.role], { kind: 'session', hash })
}

export async function userByApiToken(knex: Knex, token: string): Promise<AuthUser | undefined> {
  const row: (UserRow & { token_id: number; scopes: Scope[] }) | undefined = await knex(
    'api_tokens as t',
  )
    .join('users as u', 'u.id', 't.user_id')
    .select(...USER_COLUMNS, 't.id as token_id', 't.scopes', 't.expires_at')
    .where('t.token_hash', sha256(token))
    .whereNull('u.disabled_at')
    .whereNull('t.revoked_at')
    .where('t.expires_at', '>', new Date())
    .first()
  if (!row) return undefined
  await knex('api_tokens').where({ id: row.token_id }).update({ last_used_at: knex.fn.now() })
  const { token_id, scopes, ...user } = row
  // A role taken away since the token was made takes its scopes with it.
  const allowed = scopes.filter((s) => ROLE_SCOPES[user.role].includes(s))
  return toAuthUser(user, allowed, { kind: 'token', id: token_id })
}

export async function createApiToken(
  knex: Knex,
  userId: number,
  token: string,
  fields: { name: string; scopes: readonly Scope[]; expires_at: Date },
) {
  const [row] = await knex('api_tokens')
    .insert({ user_id: userId, token_hash: sha256(token), ...fields })
    .returning(['id', 'name', 'scopes', 'created_at', 'expires_at'])
  return row as { id: number; name: string; scopes: Scope[]; created_at: Date; expires_at: Date }
}

export async function listApiTokens(knex: Knex, userId: number) {
  return knex('api_tokens')
    .select('id', 'name', 'scopes', 'created_at', 'expires_at', 'last_used_at', 'revoked_at')
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
