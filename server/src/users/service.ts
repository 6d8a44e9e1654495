import { randomInt } from 'node:crypto'
import type { Knex } from 'knex'
import { HttpError, forbidden, notFound } from '../errors.ts'
import type { AuthUser } from '../auth/queries.ts'
import { hashPassword } from '../auth/passwords.ts'
import { contains, within, type Region } from '../auth/region.ts'
import { recordAudit } from '../audit/queries.ts'
import { assignStations, unassignStation } from '../stations/managers.ts'
import { changes } from '../audit/queries.ts'
import type { CreateUser, UpdateUser } from './schema.ts'
import {
  endSignIns,
  findUser,
  insertUser,
  setPasswordHash,
  stationPlaces,
  updateUser,
  type User,
} from './queries.ts'

// Who may change which account, and what is written to the audit log (never a password).

const conflict = (detail: string) => new HttpError(409, 'Conflict', detail)

/** 16 characters a person can copy from a screen: no 0/O or 1/l to misread. */
export function oneTimePassword(): string {
  const alphabet = 'abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789'
  return Array.from({ length: 16 }, () => alphabet[randomInt(alphabet.length)]).join('')
}

async function accountInRegion(knex: Knex, admin: AuthUser, id: number): Promise<User> {
  const user = await findUser(knex, id, true)
  if (!user) throw notFound(`Account ${id} does not exist`)
  if (!within(user.region, admin.region)) throw forbidden(`Account ${id} is outside your region`)
  return user
}

function checkRegion(admin: AuthUser, region: Region) {
  if (!within(region, admin.region)) throw forbidden('You may only give a region within your own')
}

async function checkStations(knex: Knex, admin: AuthUser, role: string, ids: number[]) {
  if (!ids.length) return
  if (role !== 'manager') throw conflict('Only managers manage stations')
  const places = await stationPlaces(knex, ids)
  const missing = ids.filter((id) => !places.some((p) => p.id === id))
  if (missing.length) throw notFound(`No station ${missing.join(', ')}`)
  const outside = places.filter((p) => !contains(admin.region, p)).map((p) => p.id)
  if (outside.length) throw forbidden(`Station ${outside.join(', ')} is outside your region`)
}

export async function createUserAs(knex: Knex, admin: AuthUser, body: CreateUser) {
  const region = body.region ?? admin.region
  checkRegion(admin, region)
  const password = body.password ?? oneTimePassword()
  const passwordHash = await hashPassword(password)
  const id = await knex.transaction(async (trx) => {
    await checkStations(trx, admin, body.role, body.station_ids ?? [])
    if (await trx('users').where({ username: body.username }).first())
      throw conflict(`The username ${body.username} is taken`)
    const id = await insertUser(trx, { ...body, region, password_hash: passwordHash })
    const stationIds = await assignStations(trx, id, body.station_ids ?? [])
    await recordAudit(trx, [
      {
        actor_id: admin.id,
        action: 'user.create',
        user_id: id,
        before: null,
        after: { username: body.username, role: body.role, region, station_ids: stationIds },
      },
    ])
    return id
  })
  const user = (await findUser(knex, id))!
  return body.password ? user : { ...user, password }
}

/** Returns the account after the change, and whether its sign-ins were ended. */
export async function updateUserAs(knex: Knex, admin: AuthUser, id: number, body: UpdateUser) {
  if (id === admin.id) throw conflict('You cannot change your own account here')
  if (body.region) checkRegion(admin, body.region)
  const ended = await knex.transaction(async (trx) => {
    const before = await accountInRegion(trx, admin, id)
    if (body.role && body.role !== 'manager' && before.station_ids.length)
      throw conflict('Unassign the stations of a manager before changing the role')
    const fields = { role: before.role, region: before.region, disabled: before.disabled }
    const diff = changes(fields, { ...fields, ...body })
    if (!Object.keys(diff.after).length) return false
    await updateUser(trx, id, body)
    const disabling = body.disabled === true && !before.disabled
    if (disabling) await endSignIns(trx, id)
    const action =
      body.disabled === undefined || body.disabled === before.disabled
        ? 'user.update'
        : body.disabled
          ? 'user.disable'
          : 'user.enable'
    await recordAudit(trx, [{ actor_id: admin.id, action, user_id: id, ...diff }])
    return disabling
  })
  return { user: (await findUser(knex, id))!, ended }
}

export async function resetPasswordAs(
  knex: Knex,
  admin: AuthUser,
  id: number,
  given: string | undefined,
) {
  const password = given ?? oneTimePassword()
  const passwordHash = await hashPassword(password)
  await knex.transaction(async (trx) => {
    await accountInRegion(trx, admin, id)
    await setPasswordHash(trx, id, passwordHash)
    await endSignIns(trx, id)
    await recordAudit(trx, [{ actor_id: admin.id, action: 'user.password_reset', user_id: id }])
  })
  return given ? {} : { password }
}

export async function assignStationAs(
  knex: Knex,
  admin: AuthUser,
  id: number,
  stationId: number,
  assign: boolean,
) {
  await knex.transaction(async (trx) => {
    const user = await accountInRegion(trx, admin, id)
    await checkStations(trx, admin, assign ? user.role : 'manager', [stationId])
    const changed = assign
      ? (await assignStations(trx, id, [stationId])).length > 0
      : await unassignStation(trx, id, stationId)
    if (!changed) return
    await recordAudit(trx, [
      {
        actor_id: admin.id,
        action: assign ? 'user.assign_station' : 'user.unassign_station',
        user_id: id,
        station_id: stationId,
      },
    ])
  })
}
