// Replaces the seeded tables with a generated dataset in one transaction, in bulk.
import crypto from 'node:crypto'
import type { Knex } from 'knex'
import { hashPassword } from '../server/src/auth/passwords.ts'
import { columns, pgArray } from '../server/src/db/arrays.ts'
import type { Role } from '../contract/vocabulary.ts'
import {
  managerUsername,
  streamDataset,
  type GeneratedAccount,
  type GeneratedDemandPoint,
  type GeneratedStation,
} from './generate.ts'

export interface SeedProgress {
  phase: 'stations' | 'demand_points'
  /** Stations and demand points written so far, of `total` of both. */
  done: number
  total: number
}

export interface SeedOptions {
  seed: string | number
  stations: number
  demandPoints?: number
  /** Password of every demo account; when unset, random ones are generated and returned. */
  demoPassword?: string
  /** The moment the initial live statuses are relative to. */
  now?: Date
  onProgress?: (progress: SeedProgress) => void
}

export interface SeedSummary {
  stations: number
  demandPoints: number
  managers: number
  /** Generated passwords, present only when no demoPassword was given: show them once. */
  passwords?: { admin: string; planner: string; managers: string }
}

// Children first; CASCADE also empties any later table that references these.
const SEEDED_TABLES = [
  'status_reports',
  'station_supplies',
  'station_status',
  'station_managers',
  'stations',
  'demand_points',
  'station_requests',
  'sessions',
  'api_tokens',
  'users',
].join(', ')

const BATCH = 5000

// No look-alike characters (0/O, 1/l/I): these get typed in from a terminal. ~81 bits.
const ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789'
const randomPassword = () =>
  Array.from({ length: 14 }, () => ALPHABET[crypto.randomInt(ALPHABET.length)]).join('')

async function insertUsers(
  trx: Knex.Transaction,
  accounts: readonly GeneratedAccount[],
  hashes: Record<Role, string>,
): Promise<Map<string, number>> {
  const ids = new Map<string, number>()
  for (let i = 0; i < accounts.length; i += BATCH) {
    const batch = accounts.slice(i, i + BATCH)
    const { rows } = await trx.raw<{ rows: { id: number; username: string }[] }>(
      // The hashes go once per batch as {role: hash}, not once per row.
      `INSERT INTO users (username, role, password_hash)
       SELECT username, role, (?::jsonb)->>role
       FROM unnest(?::text[], ?::text[]) AS t(username, role)
       RETURNING id, username`,
      [JSON.stringify(hashes), ...columns(batch, (a) => [a.username, a.role])],
    )
    for (const row of rows) ids.set(row.username, row.id)
  }
  return ids
}

async function insertStations(
  trx: Knex.Transaction,
  batch: readonly GeneratedStation[],
  userIds: ReadonlyMap<string, number>,
): Promise<void> {
  const { rows } = await trx.raw<{ rows: { id: number; code: string }[] }>(
    `INSERT INTO stations (code, name, address, province, city, district, operator, location,
       amenities, capacity, charging_points, opening_hours, timezone, phone, state, created_at,
       updated_at)
     SELECT code, name, address, province, city, district, operator,
       ST_SetSRID(ST_MakePoint(lon, lat), 4326)::geography, amenities::text[],
       capacity, charging_points, opening_hours, timezone, phone, state, created_at, updated_at
     FROM unnest(?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[],
       ?::float8[], ?::float8[], ?::text[], ?::int[], ?::int[], ?::text[], ?::text[], ?::text[],
       ?::text[], ?::timestamptz[], ?::timestamptz[])
       AS t(code, name, address, province, city, district, operator, lon, lat, amenities,
         capacity, charging_points, opening_hours, timezone, phone, state, created_at, updated_at)
     RETURNING id, code`,
    columns(batch, (s) => [
      s.code,
      s.name,
      s.address,
      s.province,
      s.city,
      s.district,
      s.operator,
      s.lon,
      s.lat,
      pgArray(s.amenities),
      s.capacity,
      s.chargingPoints,
      s.openingHours,
      s.timezone,
      s.phone,
      s.state,
      s.createdAt.toISOString(),
      s.updatedAt.toISOString(),
    ]),
  )
  const idByCode = new Map(rows.map((r) => [r.code, r.id]))
  const stations = batch.map(({ code, manager, status }) => ({
    id: idByCode.get(code)!,
    managerId: manager === null ? null : userIds.get(manager)!,
    status,
    reportedAt: status.reportedAt?.toISOString() ?? null,
  }))
  const reported = stations.filter((s) => s.reportedAt !== null)

  await trx.raw(
    `INSERT INTO station_status
       (station_id, occupancy, charging_points_in_use, reported_at, reported_by, version)
     SELECT * FROM unnest(?::int[], ?::int[], ?::int[], ?::timestamptz[], ?::int[], ?::int[])`,
    columns(stations, (s) => [
      s.id,
      s.status.occupancy,
      s.status.chargingPointsInUse,
      s.reportedAt,
      s.reportedAt === null ? null : s.managerId,
      s.status.version,
    ]),
  )
  const supplies = reported.flatMap((s) =>
    Object.entries(s.status.supplies).map(([item, level]) => [s.id, item, level, s.reportedAt]),
  )
  if (supplies.length > 0) {
    await trx.raw(
      `INSERT INTO station_supplies (station_id, item, level, updated_at)
       SELECT * FROM unnest(?::int[], ?::text[], ?::int[], ?::timestamptz[])`,
      columns(supplies, (row) => row),
    )
  }
  const managed = stations.filter((s) => s.managerId !== null)
  if (managed.length > 0) {
    await trx.raw(
      `INSERT INTO station_managers (user_id, station_id)
       SELECT * FROM unnest(?::int[], ?::int[])`,
      columns(managed, (s) => [s.managerId, s.id]),
    )
  }
  // History starts with the report that produced each initial status.
  if (reported.length > 0) {
    await trx.raw(
      `INSERT INTO status_reports (station_id, occupancy, charging_points_in_use, supplies,
         reported_by, reported_at, version)
       SELECT station_id, occupancy, charging_points_in_use, supplies::jsonb, reported_by,
         reported_at, version
       FROM unnest(?::int[], ?::int[], ?::int[], ?::text[], ?::int[], ?::timestamptz[], ?::int[])
         AS t(station_id, occupancy, charging_points_in_use, supplies, reported_by, reported_at,
           version)`,
      columns(reported, (s) => [
        s.id,
        s.status.occupancy,
        s.status.chargingPointsInUse,
        JSON.stringify(s.status.supplies),
        s.managerId,
        s.reportedAt,
        s.status.version,
      ]),
    )
  }
}

async function insertDemandPoints(
  trx: Knex.Transaction,
  batch: readonly GeneratedDemandPoint[],
  now: Date,
): Promise<void> {
  await trx.raw(
    `INSERT INTO demand_points (location, weight, kind, source, created_at)
     SELECT ST_SetSRID(ST_MakePoint(lon, lat), 4326)::geography, weight, kind, 'seed', ?
     FROM unnest(?::float8[], ?::float8[], ?::real[], ?::text[]) AS t(lon, lat, weight, kind)`,
    [now.toISOString(), ...columns(batch, (d) => [d.lon, d.lat, d.weight, d.kind])],
  )
}

/**
 * Empties the seeded tables and fills them with the deterministic dataset for `seed`: stations
 * with live status, supplies and a first report each, demand points, and the demo accounts.
 */
export async function seedDatabase(knex: Knex, opts: SeedOptions): Promise<SeedSummary> {
  const now = opts.now ?? new Date()
  const data = streamDataset({
    seed: opts.seed,
    stations: opts.stations,
    demandPoints: opts.demandPoints,
    now,
  })
  const demand = data.demandPoints()
  const passwords = opts.demoPassword
    ? undefined
    : { admin: randomPassword(), planner: randomPassword(), managers: randomPassword() }
  const plain = [passwords?.admin, passwords?.planner, passwords?.managers].map(
    (pw) => pw ?? opts.demoPassword!,
  )
  // argon2 is slow on purpose: hash each distinct password once, before taking any lock.
  const memo = new Map<string, Promise<string>>()
  const [admin, planner, manager] = await Promise.all(
    plain.map((pw) => memo.get(pw) ?? memo.set(pw, hashPassword(pw)).get(pw)!),
  )
  const hashes: Record<Role, string> = { admin: admin!, planner: planner!, manager: manager! }

  const total = data.stationCount + demand.length
  let done = 0
  await knex.transaction(async (trx) => {
    // A million stations take minutes; the API's per-statement limit is not meant for that.
    await trx.raw('SET LOCAL statement_timeout = 0')
    await trx.raw(`TRUNCATE ${SEEDED_TABLES} RESTART IDENTITY CASCADE`)
    const userIds = await insertUsers(trx, data.accounts, hashes)
    for (const batch of data.stations(BATCH)) {
      await insertStations(trx, batch, userIds)
      done += batch.length
      opts.onProgress?.({ phase: 'stations', done, total })
    }
    for (let i = 0; i < demand.length; i += BATCH) {
      const batch = demand.slice(i, i + BATCH)
      await insertDemandPoints(trx, batch, now)
      done += batch.length
      opts.onProgress?.({ phase: 'demand_points', done, total })
    }
  })
  // Fresh statistics so the planner uses the spatial indexes straight away.
  await knex.raw(`ANALYZE ${SEEDED_TABLES}`)
  return {
    stations: data.stationCount,
    demandPoints: demand.length,
    managers: data.accounts.filter((a) => a.role === 'manager').length,
    passwords,
  }
}

/** What to tell the person who just seeded: the demo accounts, with passwords when generated. */
export function describeDemoAccounts(summary: SeedSummary): string {
  const [first, last] = [1, summary.managers].map((n) => managerUsername(n, summary.managers))
  const managers = `${first} … ${last}`
  if (!summary.passwords)
    return `Demo accounts admin, planner and ${managers} use SEED_DEMO_PASSWORD.`
  const { admin, planner, managers: shared } = summary.passwords
  return (
    '\nDemo accounts. These passwords are shown only now ' +
    '(set SEED_DEMO_PASSWORD to choose one):\n' +
    `  ${'admin'.padEnd(managers.length)}  ${admin}\n` +
    `  ${'planner'.padEnd(managers.length)}  ${planner}\n` +
    `  ${managers}  ${shared}\n`
  )
}
