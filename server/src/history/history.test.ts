import { beforeAll, expect, it } from 'vitest'
import request from 'supertest'
import { describeEachBackend } from '../../../test/db.ts'
import { signIn, testApp } from '../../../test/app.ts'
import { migrationSource } from '../db/migrate.ts'
import { busyHourRows } from '../reports/queries.ts'
import { busyHours, rollupHours } from '../reports/service.ts'
import { maintainHistory, monthStart } from './maintenance.ts'
import { partitionNames } from './queries.ts'
import { prng } from '../../../test/changes.ts'

describeEachBackend('history partitions and hourly rollups', (db) => {
  const knex = () => db().knex
  const keepAll = { reportMonths: 0, hourlyMonths: 0 }
  let stationId: number

  /** The history rows written by hand: what busy-hours must find. */
  async function insertReports(station: number, times: Date[], occupancy: (i: number) => number) {
    await knex().raw(
      `INSERT INTO status_reports (station_id, occupancy, reported_at, version)
       SELECT ?, o, t, 1 FROM unnest(?::int[], ?::timestamptz[]) AS x(o, t)`,
      [station, times.map((_, i) => occupancy(i)), times],
    )
  }

  /** busy-hours as the unpartitioned history answered it: the reference. */
  async function referenceBusyHours(station: number, from: Date, to: Date) {
    const { rows } = await knex().raw(
      `SELECT extract(isodow FROM r.reported_at AT TIME ZONE s.timezone)::int AS weekday,
              extract(hour FROM r.reported_at AT TIME ZONE s.timezone)::int AS hour,
              round(avg(r.occupancy)::numeric, 2)::float8 AS mean_occupancy,
              count(*)::int AS reports
         FROM status_reports r JOIN stations s ON s.id = r.station_id
        WHERE r.station_id = ? AND r.reported_at >= ? AND r.reported_at <= ?
        GROUP BY 1, 2 ORDER BY 1, 2`,
      [station, from, to],
    )
    return rows
  }

  beforeAll(async () => {
    stationId = (await knex()('stations').max({ id: 'id' }).first())!.id
    await knex()('status_reports').where({ station_id: stationId }).delete()
    await knex()('status_hourly').where({ station_id: stationId }).delete()
  })

  it('partitions both tables by month, this month and the next two made ahead', async () => {
    const now = new Date()
    await maintainHistory(knex(), now, keepAll)
    for (const table of ['status_reports', 'status_hourly'] as const) {
      const names = await partitionNames(knex(), {
        table,
        column: table === 'status_reports' ? 'reported_at' : 'hour',
      })
      for (const offset of [0, 1, 2]) {
        const month = monthStart(now, offset)
        expect(names).toContain(`${table}_y${month.slice(0, 4)}m${month.slice(5, 7)}`)
      }
    }
    const { rows } = await knex().raw(
      "SELECT count(*)::int AS n FROM pg_partitioned_table WHERE partrelid = 'status_reports'::regclass",
    )
    expect(rows[0].n).toBe(1)
  })

  it('moves a bulk load of old history out of the default partition into its months', async () => {
    const times = [new Date('2023-03-31T23:30:00Z'), new Date('2023-04-01T00:10:00Z')]
    await insertReports(stationId, times, (i) => i + 2)
    const where = (table: string) =>
      knex().raw(
        `SELECT tableoid::regclass::text AS part FROM ${table} WHERE station_id = ?
                   AND ${table === 'status_reports' ? 'reported_at' : 'hour'} < '2024-01-01'
                   ORDER BY 1`,
        [stationId],
      )
    expect((await where('status_reports')).rows.map((r: { part: string }) => r.part)).toEqual([
      'status_reports_default',
      'status_reports_default',
    ])
    const { created } = await maintainHistory(knex(), new Date(), keepAll)
    expect(created).toEqual(
      expect.arrayContaining(['status_reports 2023-03', 'status_reports 2023-04']),
    )
    expect((await where('status_reports')).rows.map((r: { part: string }) => r.part)).toEqual([
      'status_reports_y2023m03',
      'status_reports_y2023m04',
    ])
    expect((await where('status_hourly')).rows.map((r: { part: string }) => r.part)).toEqual([
      'status_hourly_y2023m03',
      'status_hourly_y2023m04',
    ])
    // history is still append-only, partitions included
    await expect(
      knex().raw('UPDATE status_reports_y2023m03 SET occupancy = 0 WHERE station_id = ?', [
        stationId,
      ]),
    ).rejects.toThrow(/append-only/)
  })

  it('drops whole months past the retention and keeps the rest', async () => {
    const now = new Date()
    const old = new Date(`${monthStart(now, -14)}T12:00:00Z`)
    const kept = new Date(`${monthStart(now, -13)}T12:00:00Z`)
    await insertReports(stationId, [old, kept], () => 1)
    await maintainHistory(knex(), now, keepAll)
    const before = await knex()('status_reports').where({ station_id: stationId }).count('* as n')
    const { dropped } = await maintainHistory(knex(), now, { reportMonths: 13, hourlyMonths: 0 })
    const name = (at: Date) => `y${monthStart(at).slice(0, 4)}m${monthStart(at).slice(5, 7)}`
    expect(dropped).toContain(`status_reports ${monthStart(old).slice(0, 7)}`)
    expect(dropped).not.toContain(`status_reports ${monthStart(kept).slice(0, 7)}`)
    expect(dropped.some((d) => d.startsWith('status_hourly'))).toBe(false)
    const reports = await partitionNames(knex(), { table: 'status_reports', column: 'reported_at' })
    expect(reports).not.toContain(`status_reports_${name(old)}`)
    expect(reports).not.toContain('status_reports_y2023m03')
    expect(reports).toContain(`status_reports_${name(kept)}`)
    const after = await knex()('status_reports').where({ station_id: stationId }).count('* as n')
    expect(Number(after[0]!.n)).toBe(Number(before[0]!.n) - 3)
    // the rollups keep their own, longer retention
    const hourly = await knex()('status_hourly')
      .where({ station_id: stationId })
      .where('hour', '<', kept)
    expect(hourly.length).toBeGreaterThanOrEqual(3)
  })

  it('answers busy-hours from the rollups exactly as from every report', async () => {
    const random = prng(42)
    const to = new Date('2026-06-30T10:17:23.456Z')
    const start = to.getTime() - 10 * 7 * 86_400_000
    const times = Array.from(
      { length: 3000 },
      () => new Date(start + Math.floor(random() * (to.getTime() - start))),
    )
    // a few on the very hour edges, where a range's boundary may cut a rollup hour
    times.push(new Date('2026-06-01T00:00:00Z'), new Date('2026-06-30T09:59:59.999Z'))
    await insertReports(stationId, times, () => Math.floor(random() * 12))
    await maintainHistory(knex(), to, keepAll)
    for (let i = 0; i < 40; i++) {
      const a = start + Math.floor(random() * (to.getTime() - start))
      const b = a + Math.floor(random() * (to.getTime() - a))
      const [from, until] = i === 0 ? [new Date(start), to] : [new Date(a), new Date(b)]
      const range = { from, to: until, ...rollupHours('Asia/Shanghai', from, until) }
      expect(await busyHourRows(knex(), stationId, range)).toEqual(
        await referenceBusyHours(stationId, from, until),
      )
    }
    const answer = await busyHours(knex(), stationId, 10, to)
    expect(answer.hours.reduce((n, h) => n + h.reports, 0)).toBeGreaterThan(2900)
    expect(answer.hours).toEqual(
      await referenceBusyHours(stationId, new Date(to.getTime() - 70 * 86_400_000), to),
    )
  })

  it('reads every report where the zone is not a whole number of hours from UTC', async () => {
    const to = new Date('2026-06-30T10:17:23.456Z')
    const from = new Date(to.getTime() - 14 * 86_400_000)
    expect(rollupHours('Asia/Kolkata', from, to)).toEqual({ hoursFrom: to, hoursTo: to })
    expect(rollupHours('Asia/Urumqi', from, to).hoursFrom).not.toEqual(to)
    await knex()('stations').where({ id: stationId }).update({ timezone: 'Asia/Kolkata' })
    try {
      const answer = await busyHours(knex(), stationId, 2, to)
      const reference = await referenceBusyHours(stationId, from, to)
      expect(answer.hours).toEqual(reference)
      // half-hour offset: 10:40 UTC is 16:10 local
      expect(reference.length).toBeGreaterThan(0)
    } finally {
      await knex()('stations').where({ id: stationId }).update({ timezone: 'Asia/Shanghai' })
    }
  })

  it('keeps the rollups in step with reports sent through the API', async () => {
    const app = testApp(db())
    const cookie = await signIn(app, 'manager001')
    const me = await request(app).get('/api/v1/auth/me').set('Cookie', cookie)
    const station = me.body.station_ids[0] as number
    const hourly = async () =>
      (await knex()('status_hourly').where({ station_id: station }).sum({ n: 'reports' }))[0]!.n
    const before = Number(await hourly())
    const res = await request(app)
      .post(`/api/v1/stations/${station}/reports`)
      .set('Cookie', cookie)
      .set('Idempotency-Key', crypto.randomUUID())
      .send({ occupancy: 3 })
    expect(res.status).toBe(201)
    expect(Number(await hourly())).toBe(before + 1)
    const reports = await knex()('status_reports').where({ station_id: station }).count('* as n')
    expect(Number(await hourly())).toBe(Number(reports[0]!.n))
  })

  it('migrates an unpartitioned history into the partitions and back, losing nothing', async () => {
    const snapshot = async () =>
      (
        await knex().raw(
          `SELECT id, station_id, occupancy, reported_at, version FROM status_reports ORDER BY id`,
        )
      ).rows
    const before = await snapshot()
    // the history's own two migrations, newest first; whatever came after them stays
    for (const name of [
      '20261205000400_create_status_hourly.ts',
      '20261205000300_partition_status_reports.ts',
    ])
      await knex().migrate.down({ migrationSource, name })
    const { rows } = await knex().raw(
      "SELECT count(*)::int AS n FROM pg_partitioned_table WHERE partrelid = 'status_reports'::regclass",
    )
    expect(rows[0].n).toBe(0)
    expect(await snapshot()).toEqual(before)
    await knex().migrate.latest({ migrationSource })
    expect(await snapshot()).toEqual(before)
    const parts = await knex().raw(`SELECT count(*)::int AS n FROM status_reports_default`)
    expect(parts.rows[0].n).toBe(0)
    const totals = await knex().raw(
      `SELECT (SELECT count(*) FROM status_reports)::int AS reports,
              (SELECT sum(reports) FROM status_hourly)::int AS rolled`,
    )
    expect(totals.rows[0].rolled).toBe(totals.rows[0].reports)
    // new reports continue the ids
    const [{ id }] = (
      await knex().raw(
        `INSERT INTO status_reports (station_id, occupancy, version) VALUES (?, 1, 1) RETURNING id`,
        [stationId],
      )
    ).rows
    expect(Number(id)).toBeGreaterThan(Math.max(...before.map((r: { id: string }) => Number(r.id))))
  })
})
