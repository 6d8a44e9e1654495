// B8 history at scale: a year of synthetic history (20 reports a station a day, the national
// rate) in the monthly partitions, then busy-hours (52 weeks) through the API and the same
// question through pgbench twice: on the hourly rollups (what the API asks) and on every
// report (what it asked before the rollups). The report write path is measured on that
// database and on one of the same stations without the year, to show it does not grow with
// the history. Sizes per row give the extrapolation to 186,000 stations.
import { randomUUID } from 'node:crypto'
import { withClient } from '../lib/database.ts'
import { login, runHttp, warmUp } from '../lib/http.ts'
import { measurePgbench } from '../lib/pgbench.ts'
import { budget } from '../lib/report.ts'
import { Latencies, ratio } from '../lib/stats.ts'
import type { BenchContext, BenchDatabase, Measurement, ScenarioResult } from '../lib/types.ts'

const REPORTS_PER_DAY = 20
const NATIONAL_STATIONS = 186_000

/** A copy of the seeded database with `days` of history before now, made once and reused. */
async function historyDatabase(
  ctx: BenchContext,
  base: BenchDatabase,
  days: number,
): Promise<BenchDatabase> {
  const name = `${base.name}_history_${days}d`
  const url = base.url.replace(/\/[^/?]+(\?|$)/, `/${name}$1`)
  const marker = `history ${days} days x ${REPORTS_PER_DAY}/day`
  const ready = await withClient(ctx.adminUrl, async (c) => {
    const { rows } = await c.query(
      `SELECT shobj_description(oid, 'pg_database') AS comment FROM pg_database WHERE datname = $1`,
      [name],
    )
    return rows[0]?.comment === marker
  })
  if (ready) return { ...base, name, url }
  await withClient(ctx.adminUrl, async (c) => {
    await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
    await c.query(`CREATE DATABASE ${name} TEMPLATE ${base.name}`)
  })
  const started = performance.now()
  await withClient(url, async (c) => {
    // Written in time order, as reports arrive, so a station's rows are as scattered as in
    // life; the rollups by their trigger, as in life. Months are made first.
    await c.query(
      `SELECT history_add_month(t, col, (m AT TIME ZONE 'UTC')::date)
        FROM (VALUES ('status_reports', 'reported_at'), ('status_hourly', 'hour')) AS x(t, col),
             generate_series(date_trunc('month', now() - $1 * interval '1 day', 'UTC'),
                             now() + interval '2 months', interval '1 month') AS m`,
      [days],
    )
    for (let day = days; day >= 1; day--) {
      if (day % 30 === 0) ctx.log(`history: ${day} days to go`)
      // Busier at midday and in the evening, like the seed's live statuses.
      await c.query(
        `INSERT INTO status_reports (station_id, occupancy, supplies, reported_by, reported_at,
                                     version)
         SELECT s.id,
                greatest(0, round(s.capacity * (0.3 + 0.3 * sin(extract(hour FROM t) / 3.8))
                                  * random()))::int,
                jsonb_build_object('water', (random() * 40)::int, 'first_aid', 3),
                NULL, t, 1
           FROM stations s,
                LATERAL (SELECT date_trunc('day', now()) - $1 * interval '1 day'
                                + (slot * 72 + random() * 71) * interval '1 minute' AS t
                           FROM generate_series(0, $2 - 1) AS slot) AS times
          ORDER BY t`,
        [day, REPORTS_PER_DAY],
      )
    }
    await c.query('VACUUM ANALYZE status_reports, status_hourly')
    await c.query(`COMMENT ON DATABASE ${name} IS '${marker}'`)
  })
  ctx.log(`history loaded in ${((performance.now() - started) / 1000).toFixed(0)} s`)
  return { ...base, name, url }
}

/** POSTs reports to random active stations from `connections` loops for `durationS`. */
async function reportLoad(
  baseUrl: string,
  cookie: string,
  stationIds: readonly number[],
  connections: number,
  durationS: number,
) {
  const latencies = new Latencies()
  let errors = 0
  const until = performance.now() + durationS * 1000
  const loop = async () => {
    while (performance.now() < until) {
      const id = stationIds[Math.floor(Math.random() * stationIds.length)]
      const t0 = performance.now()
      const res = await fetch(`${baseUrl}/api/v1/stations/${id}/reports`, {
        method: 'POST',
        headers: {
          cookie,
          'content-type': 'application/json',
          'idempotency-key': randomUUID(),
        },
        body: JSON.stringify({ occupancy: Math.floor(Math.random() * 5) }),
      })
      await res.arrayBuffer()
      if (res.status === 201) latencies.add(performance.now() - t0)
      else errors++
    }
  }
  const started = performance.now()
  await Promise.all(Array.from({ length: connections }, loop))
  const seconds = (performance.now() - started) / 1000
  return { qps: latencies.count / seconds, count: latencies.count, errors, ...latencies.summary() }
}

export async function historyScenario(ctx: BenchContext): Promise<ScenarioResult[]> {
  const { durationS, warmupS, smoke } = ctx.options
  const stations = smoke ? 200 : 2000
  const days = smoke ? 30 : 365
  const base = await ctx.database(stations)
  const db = await historyDatabase(ctx, base, days)
  const measurements: Measurement[] = []

  const active = await withClient(db.url, async (c) => {
    const { rows } = await c.query("SELECT id FROM stations WHERE state = 'active'")
    return rows.map((r: { id: number }) => r.id)
  })
  const sizes = await withClient(db.url, async (c) => {
    const { rows } = await c.query(`SELECT
        (SELECT count(*) FROM status_reports)::float8 AS reports,
        (SELECT count(*) FROM status_hourly)::float8 AS hourly,
        (SELECT sum(pg_total_relation_size(inhrelid)) FROM pg_inherits
          WHERE inhparent = 'status_reports'::regclass)::float8 AS report_bytes,
        (SELECT sum(pg_total_relation_size(inhrelid)) FROM pg_inherits
          WHERE inhparent = 'status_hourly'::regclass)::float8 AS hourly_bytes,
        (SELECT count(*) FROM pg_inherits
          WHERE inhparent = 'status_reports'::regclass)::int AS partitions`)
    return rows[0] as {
      reports: number
      hourly: number
      report_bytes: number
      hourly_bytes: number
      partitions: number
    }
  })
  const bytesPerReport = (sizes.report_bytes + sizes.hourly_bytes) / sizes.reports
  const nationalYear = NATIONAL_STATIONS * REPORTS_PER_DAY * 365
  measurements.push({
    case: `${sizes.reports.toLocaleString('en')} reports, ${sizes.partitions} partitions`,
    system: 'size',
    extra: {
      hourlyRows: sizes.hourly,
      reportMb: Math.round(sizes.report_bytes / 2 ** 20),
      hourlyMb: Math.round(sizes.hourly_bytes / 2 ** 20),
      bytesPerReport: Math.round(bytesPerReport),
      nationalYearGb: Math.round((bytesPerReport * nationalYear) / 2 ** 30),
    },
  })

  // busy-hours over a year, for random stations
  const server = await ctx.startServer({ label: 'B8', database: db })
  const ids = Array.from({ length: 10_000 }, (_, i) => 1 + ((i * 7919) % stations))
  const paths = ids.map((id) => `/api/v1/stations/${id}/busy-hours?weeks=52`)
  await warmUp(server, paths, warmupS)
  const cpu = { serverPid: server.pid, database: db.name }
  const api = await runHttp({ baseUrl: server.url, paths, connections: 4, durationS, cpu })
  measurements.push({ case: 'busy-hours 52 weeks c=4', system: 'api', ...api })
  const range = `\\set id random(1, ${stations})`
  const sql = {
    rollup: `SELECT extract(isodow FROM x.at AT TIME ZONE s.timezone)::int AS weekday,
            extract(hour FROM x.at AT TIME ZONE s.timezone)::int AS hour,
            round(sum(x.total)::numeric / sum(x.n), 2)::float8, sum(x.n)::int
       FROM (SELECT hour AS at, reports AS n, occupancy_sum AS total FROM status_hourly
              WHERE station_id = :id AND hour >= date_trunc('hour', now() - interval '52 weeks')
                AND hour < date_trunc('hour', now())
             UNION ALL
             SELECT reported_at, 1, occupancy FROM status_reports
              WHERE station_id = :id
                AND (reported_at >= now() - interval '52 weeks'
                     AND reported_at < date_trunc('hour', now() - interval '52 weeks')
                     OR reported_at >= date_trunc('hour', now()) AND reported_at <= now())) AS x
       JOIN stations s ON s.id = :id GROUP BY 1, 2 ORDER BY 1, 2;`,
    every: `SELECT extract(isodow FROM r.reported_at AT TIME ZONE s.timezone)::int AS weekday,
            extract(hour FROM r.reported_at AT TIME ZONE s.timezone)::int AS hour,
            round(avg(r.occupancy)::numeric, 2)::float8, count(*)::int
       FROM status_reports r JOIN stations s ON s.id = r.station_id
      WHERE r.station_id = :id AND r.reported_at >= now() - interval '52 weeks'
        AND r.reported_at <= now()
      GROUP BY 1, 2 ORDER BY 1, 2;`,
  }
  const pgbench = (text: string) =>
    measurePgbench({
      db,
      script: { text: `${range}\n${text.replace(/\s+/g, ' ')}\n`, defines: {} },
      clients: 4,
      durationS,
      tmpDir: ctx.tmpDir,
      serverPid: server.pid,
    })
  const rollupSql = await pgbench(sql.rollup)
  measurements.push({ case: 'busy-hours 52 weeks c=4', system: 'sql rollups', ...rollupSql })
  const everySql = await pgbench(sql.every)
  measurements.push({ case: 'busy-hours 52 weeks c=4', system: 'sql every report', ...everySql })

  // the write path, with a year of history and without
  const admin = await login(server.url, 'admin', ctx.password)
  const withYear = await reportLoad(server.url, admin, active, 8, durationS)
  measurements.push({ case: `reports c=8, ${days} days of history`, system: 'api', ...withYear })
  await server.stop()
  const fresh = await ctx.startServer({ label: 'B8-fresh', database: base })
  const freshAdmin = await login(fresh.url, 'admin', ctx.password)
  const without = await reportLoad(fresh.url, freshAdmin, active, 8, durationS)
  measurements.push({ case: 'reports c=8, no history', system: 'api', ...without })
  await fresh.stop()

  const writeRatio = ratio(withYear.qps, without.qps)
  const dbCpuRatio = ratio(rollupSql.cpuMsPerOp?.database, everySql.cpuMsPerOp?.database)
  return [
    {
      id: 'B8',
      title: `history: ${days} days × ${REPORTS_PER_DAY} reports × ${stations.toLocaleString('en')} stations`,
      measurements,
      ratios: [
        { name: 'busy-hours API / SQL on every report (QPS)', value: ratio(api.qps, everySql.qps) },
        {
          name: 'busy-hours SQL rollups / every report (QPS)',
          value: ratio(rollupSql.qps, everySql.qps),
        },
        { name: 'busy-hours database CPU per answer: rollups / every report', value: dbCpuRatio },
        { name: 'report QPS with the history / without', value: writeRatio },
      ],
      budgets: [
        budget(
          'busy-hours database CPU, rollups ÷ every report',
          dbCpuRatio,
          '<=',
          0.5,
          '',
          !smoke,
        ),
        budget('report QPS with a year ÷ without', writeRatio, '>=', 0.8, '', !smoke),
      ],
      notes: [
        `${sizes.reports.toLocaleString('en')} reports over ${sizes.partitions} partitions ` +
          `(default included); ${Math.round(bytesPerReport)} bytes a report with its indexes ` +
          'and its share of the rollups',
        `a national year (${NATIONAL_STATIONS.toLocaleString('en')} stations × ` +
          `${REPORTS_PER_DAY} a day = ${(nationalYear / 1e9).toFixed(2)} billion reports) at ` +
          `that size: ~${Math.round((bytesPerReport * nationalYear) / 2 ** 30)} GiB`,
        'busy-hours reads one station: its cost depends on that station’s year (~7,300 reports, ' +
          '~6,500 rollup hours), not on how many stations share the table',
      ],
    },
  ]
}
