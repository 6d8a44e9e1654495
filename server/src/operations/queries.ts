import type { Knex } from 'knex'
import { whereIn, type Region } from '../auth/region.ts'
import { selectOpenAlerts, toAlertEvent, type AlertRow } from '../reports/queries.ts'
import type { OperationsQuery } from './schema.ts'

const HOUR_MS = 3_600_000

/** Rows and the whole count of a query, in one round trip. */
async function limited<T>(query: Knex.QueryBuilder, knex: Knex, limit: number) {
  const rows: (T & { total: number })[] = await query
    .select(knex.raw('count(*) OVER ()::int AS total'))
    .limit(limit)
  return { rows, total: rows[0]?.total ?? 0 }
}

export async function operationsIn(knex: Knex, q: OperationsQuery, region: Region, now: Date) {
  const since = new Date(now.getTime() - q.stale_hours * HOUR_MS)
  const active = () =>
    whereIn(knex('stations as s'), region, 's')
      .where('s.state', 'active')
      .select('s.id', 's.code', 's.name', 's.city', 's.district')
  const stale = await limited<{ id: number; reported_at: Date | null }>(
    active()
      .leftJoin('station_status as st', 'st.station_id', 's.id')
      .select('st.reported_at')
      .where((w) => w.whereNull('st.reported_at').orWhere('st.reported_at', '<', since))
      .orderByRaw('st.reported_at ASC NULLS FIRST, s.id'),
    knex,
    q.limit,
  )
  const unmanaged = await limited<{ id: number }>(
    active()
      .whereNotExists(knex('station_managers as m').whereRaw('m.station_id = s.id'))
      .orderBy('s.id'),
    knex,
    q.limit,
  )
  const alerts = await limited<AlertRow>(
    // Retiring a station leaves its alerts open, and no report can close them any more.
    whereIn(selectOpenAlerts(knex), region, 's').whereNot('s.state', 'retired'),
    knex,
    q.limit,
  )
  const strip = <T extends { total: number }>({ total: _t, ...row }: T) => row
  return {
    stale_hours: q.stale_hours,
    stale: stale.rows.map((r) => {
      const { reported_at, ...rest } = strip(r)
      return {
        ...rest,
        reported_at: reported_at ? new Date(reported_at).toISOString() : null,
        hours_since: reported_at
          ? (now.getTime() - new Date(reported_at).getTime()) / HOUR_MS
          : null,
      }
    }),
    alerts: alerts.rows.map((r) => toAlertEvent(strip(r))),
    unmanaged: unmanaged.rows.map(strip),
    counts: { stale: stale.total, alerts: alerts.total, unmanaged: unmanaged.total },
  }
}
