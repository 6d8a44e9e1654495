import type { Knex } from 'knex'
import type { Role } from '../../../contract/vocabulary.ts'
import { regionColumns, regionOf, whereIn, type Region } from '../auth/region.ts'
import { keysetPage } from '../http/paging.ts'
import { USER_COLUMNS } from '../auth/queries.ts'
import type { ListUsersQuery } from './schema.ts'

interface UserRow {
  id: number
  username: string
  role: Role
  region_province: string | null
  region_city: string | null
  region_district: string | null
  disabled_at: Date | null
  created_at: Date
  station_ids: number[]
}

const toUser = (r: UserRow) => ({
  id: r.id,
  username: r.username,
  role: r.role,
  region: regionOf(r),
  disabled: r.disabled_at !== null,
  created_at: new Date(r.created_at).toISOString(),
  station_ids: r.station_ids,
})
export type User = ReturnType<typeof toUser>

function selectUsers(knex: Knex) {
  return knex('users as u').select(
    ...USER_COLUMNS,
    'u.disabled_at',
    'u.created_at',
    knex.raw(
      `ARRAY(SELECT sm.station_id FROM station_managers sm
              WHERE sm.user_id = u.id ORDER BY sm.station_id) AS station_ids`,
    ),
  )
}

export async function findUser(knex: Knex, id: number, lock = false): Promise<User | undefined> {
  const query = selectUsers(knex).where('u.id', id)
  if (lock) query.forUpdate()
  const row: UserRow | undefined = await query.first()
  return row && toUser(row)
}

export async function listUsers(knex: Knex, q: ListUsersQuery, region: Region) {
  const query = whereIn(selectUsers(knex), region, 'u', 'region_')
    .orderBy('u.id')
    .limit(q.limit + 1)
  if (q.role) query.where('u.role', q.role)
  if (q.q) query.whereRaw(`strpos(u.username, ?) > 0`, [q.q.toLowerCase()])
  if (q.cursor !== undefined) query.where('u.id', '>', q.cursor)
  const rows: UserRow[] = await query
  const { page, next_cursor } = keysetPage(rows, q.limit)
  return { users: page.map(toUser), next_cursor }
}

export async function insertUser(
  knex: Knex,
  u: { username: string; role: Role; region: Region; password_hash: string },
): Promise<number> {
  const [row] = await knex('users')
    .insert({
      username: u.username,
      role: u.role,
      password_hash: u.password_hash,
      ...regionColumns(u.region),
    })
    .returning('id')
  return row.id
}

export async function updateUser(
  knex: Knex,
  id: number,
  change: { role?: Role; region?: Region; disabled?: boolean },
) {
  await knex('users')
    .where({ id })
    .update({
      ...(change.role ? { role: change.role } : {}),
      ...(change.region ? regionColumns(change.region) : {}),
      ...(change.disabled === undefined
        ? {}
        : { disabled_at: change.disabled ? knex.fn.now() : null }),
    })
}

export async function setPasswordHash(knex: Knex, id: number, passwordHash: string) {
  await knex('users').where({ id }).update({ password_hash: passwordHash })
}

/** Signs the account out everywhere: sessions gone, tokens revoked. */
export async function endSignIns(knex: Knex, userId: number) {
  await knex('sessions').where({ user_id: userId }).delete()
  await knex('api_tokens')
    .where({ user_id: userId })
    .whereNull('revoked_at')
    .update({ revoked_at: knex.fn.now() })
}

/** The stations among `ids` that exist, with where they are. */
export async function stationPlaces(knex: Knex, ids: number[]) {
  return knex('stations')
    .select('id', 'province', 'city', 'district')
    .whereIn('id', ids) as Promise<
    { id: number; province: string; city: string; district: string }[]
  >
}
