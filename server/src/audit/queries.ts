import type { Knex } from 'knex'
import { keysetPage } from '../http/paging.ts'
import { isEverywhere, whereIn, type Region } from '../auth/region.ts'
import type { AuditQuery } from './schema.ts'

export interface AuditEntry {
  actor_id: number | null
  action: string
  station_id?: number
  user_id?: number
  import_id?: string
  before?: unknown
  after?: unknown
}

/** The fields whose value changes, before and after: what an entry records of an edit. */
export function changes<T extends object>(before: T, after: T) {
  const was: Partial<T> = {}
  const now: Partial<T> = {}
  for (const key of Object.keys(after) as (keyof T)[]) {
    if (JSON.stringify(before[key]) !== JSON.stringify(after[key])) {
      was[key] = before[key]
      now[key] = after[key]
    }
  }
  return { before: was, after: now }
}

const json = (v: unknown) => (v === undefined ? null : JSON.stringify(v))

/** Written in the transaction of the change it describes, so neither exists without the other. */
export async function recordAudit(knex: Knex, entries: AuditEntry[]): Promise<void> {
  if (!entries.length) return
  await knex('audit_log').insert(
    entries.map((e) => ({
      actor_id: e.actor_id,
      action: e.action,
      station_id: e.station_id ?? null,
      user_id: e.user_id ?? null,
      import_id: e.import_id ?? null,
      before: json(e.before),
      after: json(e.after),
    })),
  )
}

interface AuditRow {
  id: number
  at: Date
  action: string
  import_id: string | null
  before: unknown
  after: unknown
  actor_id: number | null
  actor_username: string | null
  station_id: number | null
  station_code: string | null
  station_name: string | null
  user_id: number | null
  user_username: string | null
}

/**
 * Newest first. A scoped admin sees what happened to stations and accounts in their region
 * (accounts whose own region lies within it).
 */
export async function listAudit(knex: Knex, q: AuditQuery, region: Region) {
  const query = knex('audit_log as a')
    .leftJoin('users as actor', 'actor.id', 'a.actor_id')
    .leftJoin('stations as s', 's.id', 'a.station_id')
    .leftJoin('users as u', 'u.id', 'a.user_id')
    .select(
      'a.id',
      'a.at',
      'a.action',
      'a.import_id',
      'a.before',
      'a.after',
      'a.actor_id',
      'actor.username as actor_username',
      'a.station_id',
      's.code as station_code',
      's.name as station_name',
      'a.user_id',
      'u.username as user_username',
    )
    .orderBy('a.id', 'desc')
    .limit(q.limit + 1)
  if (q.actor !== undefined) query.where('a.actor_id', q.actor)
  if (q.station !== undefined) query.where('a.station_id', q.station)
  if (q.user !== undefined) query.where('a.user_id', q.user)
  if (q.from) query.where('a.at', '>=', q.from)
  if (q.to) query.where('a.at', '<', q.to)
  if (q.cursor !== undefined) query.where('a.id', '<', q.cursor)
  if (!isEverywhere(region))
    query.where((w) =>
      w.where((s) => whereIn(s, region, 's')).orWhere((u) => whereIn(u, region, 'u', 'region_')),
    )
  const rows: AuditRow[] = await query
  const { page, next_cursor } = keysetPage(rows, q.limit)
  return {
    entries: page.map((r) => ({
      id: Number(r.id),
      at: new Date(r.at).toISOString(),
      action: r.action,
      actor: r.actor_id === null ? null : { id: r.actor_id, username: r.actor_username! },
      station:
        r.station_id === null
          ? null
          : { id: r.station_id, code: r.station_code!, name: r.station_name! },
      user: r.user_id === null ? null : { id: r.user_id, username: r.user_username! },
      import_id: r.import_id,
      before: r.before ?? null,
      after: r.after ?? null,
    })),
    next_cursor,
  }
}
