import crypto from 'node:crypto'
import { beforeAll, expect, it } from 'vitest'
import request from 'supertest'
import type { App } from '../app.ts'
import { describeEachBackend } from '../../../test/db.ts'
import { seedTime, signIn, testApp } from '../../../test/app.ts'
import { pruneIdempotencyKeys } from './queries.ts'

const key = () => crypto.randomUUID()

describeEachBackend('station reports', (db, backend) => {
  let app: App
  let pinned: Date
  let managerA: string
  let stationA: number
  let stationB: number
  let capacityA: number

  beforeAll(async () => {
    pinned = await seedTime(db())
    app = testApp(db(), { clock: () => pinned })
    managerA = await signIn(app, 'manager001')
    const mine = (await request(app).get('/api/v1/auth/me').set('Cookie', managerA)).body
      .station_ids
    stationA = mine[0]
    stationB = (
      await db()
        .knex('station_managers as sm')
        .join('users as u', 'u.id', 'sm.user_id')
        .where('u.username', 'manager002')
        .first('sm.station_id')
    ).station_id
    capacityA = (await db().knex('stations').where({ id: stationA }).first()).capacity
  })

  async function state(stationId: number) {
    const status = await db().knex('station_status').where({ station_id: stationId }).first()
    const [reports] = await db()
      .knex('status_reports')
      .where({ station_id: stationId })
      .count({ n: '*' })
    const supplies = await db()
      .knex('station_supplies')
      .where({ station_id: stationId })
      .orderBy('item')
    return { status, reports: Number(reports!.n), supplies }
  }

  const post = (stationId: number, body: object, k = key(), cookie = managerA, to = app) =>
    request(to)
      .post(`/api/v1/stations/${stationId}/reports`)
      .set('Cookie', cookie)
      .set('Idempotency-Key', k)
      .send(body)

  it('accepts a report: status, supplies and history change together', async () => {
    const before = await state(stationA)
    const res = await post(stationA, {
      occupancy: 3,
      charging_points_in_use: 0,
      supplies: { drinking_water: 55 },
      note: '午间',
    })
    expect(res.status, JSON.stringify(res.body)).toBe(201)
    expect(res.body.status).toMatchObject({ occupancy: 3, version: before.status.version + 1 })
    expect(res.body.status.supplies.drinking_water).toEqual({ level: 55, low: false })
    const after = await state(stationA)
    expect(after.reports).toBe(before.reports + 1)
    expect(after.status).toMatchObject({ occupancy: 3, version: before.status.version + 1 })
    const last = await db()
      .knex('status_reports')
      .where({ station_id: stationA })
      .orderBy('id', 'desc')
      .first()
    expect(last).toMatchObject({ occupancy: 3, note: '午间', version: before.status.version + 1 })
    expect(last.supplies).toEqual({ drinking_water: 55 })
  })

  it('answers as the station then reads: a supply it did not have, just below and at its threshold', async () => {
    for (const level of [19, 20]) {
      await db()
        .knex('station_supplies')
        .where({ station_id: stationA, item: 'umbrellas' })
        .delete()
      const res = await post(stationA, { occupancy: 2, supplies: { umbrellas: level } })
      expect(res.status).toBe(201)
      expect(res.body.status.supplies.umbrellas).toEqual({ level, low: level < 20 })
      expect(res.body).toEqual((await request(app).get(`/api/v1/stations/${stationA}`)).body)
    }
  })

  it('authorization matrix: only the station’s manager or an admin; nothing changes otherwise', async () => {
    const before = [await state(stationA), await state(stationB)]
    const planner = await signIn(app, 'planner')
    const admin = await signIn(app, 'admin')
    const cases: [string, () => request.Test, number][] = [
      [
        'anonymous',
        () =>
          request(app)
            .post(`/api/v1/stations/${stationA}/reports`)
            .set('Idempotency-Key', key())
            .send({ occupancy: 1 }),
        401,
      ],
      [
        'forged session',
        () =>
          request(app)
            .post(`/api/v1/stations/${stationA}/reports`)
            .set('Cookie', 'yz_session=nope')
            .set('Idempotency-Key', key())
            .send({ occupancy: 1 }),
        401,
      ],
      ['manager A on B’s station', () => post(stationB, { occupancy: 1 }), 403],
      ['planner', () => post(stationA, { occupancy: 1 }, key(), planner), 403],
      ['unknown station', () => post(999_999, { occupancy: 1 }), 404],
      ['unknown station, admin', () => post(999_999, { occupancy: 1 }, key(), admin), 404],
    ]
    for (const [name, send, expected] of cases) {
      const res = await send()
      expect(res.status, name).toBe(expected)
      expect(res.headers['content-type'], name).toMatch(/^application\/problem\+json/)
    }
    expect([await state(stationA), await state(stationB)]).toEqual(before)
    // Nothing for anyone to replay either: the keys of refused requests were not kept.
    const [keys] = await db().knex('idempotency_keys').where({ status_code: 0 }).count({ n: '*' })
    expect(Number(keys!.n)).toBe(0)
    expect((await post(stationB, { occupancy: 2 }, key(), admin)).status).toBe(201)
  })

  it('validates against the station and the vocabulary; nothing written on 400', async () => {
    const before = await state(stationA)
    const bad: object[] = [
      { occupancy: -1 },
      { occupancy: 2.5 },
      { occupancy: '3' },
      { occupancy: capacityA * 2 + 11 },
      { occupancy: 1, charging_points_in_use: 10_001 },
      { occupancy: 1, supplies: { beer: 50 } },
      { occupancy: 1, supplies: { drinking_water: 101 } },
      { occupancy: 1, supplies: { drinking_water: -5 } },
      { occupancy: 1, extra: true },
      {},
    ]
    for (const body of bad) {
      const res = await post(stationA, body)
      expect(res.status, JSON.stringify(body)).toBe(400)
      expect(res.body.errors.length).toBeGreaterThan(0)
    }
    const noKey = await request(app)
      .post(`/api/v1/stations/${stationA}/reports`)
      .set('Cookie', managerA)
      .send({ occupancy: 1 })
    expect(noKey.status).toBe(400)
    expect(noKey.body.detail).toMatch(/Idempotency-Key/)
    expect(await state(stationA)).toEqual(before)
  })

  it('idempotency: a replay returns the first answer and writes nothing; another body is 422', async () => {
    const k = key()
    const first = await post(stationA, { occupancy: 4 }, k)
    expect(first.status).toBe(201)
    const before = await state(stationA)
    const again = await post(stationA, { occupancy: 4 }, k)
    expect(again.status).toBe(201)
    expect(again.body).toEqual(first.body)
    expect(await state(stationA)).toEqual(before)
    const other = await post(stationA, { occupancy: 5 }, k)
    expect(other.status).toBe(422)
    expect(await state(stationA)).toEqual(before)
  })

  it('50 concurrent posts with one key write one report', async () => {
    const before = await state(stationA)
    const k = key()
    const results = await Promise.all(
      Array.from({ length: 50 }, () => post(stationA, { occupancy: 6 }, k)),
    )
    expect(results.map((r) => r.status)).toEqual(Array(50).fill(201))
    const versions = new Set(results.map((r) => r.body.status.version))
    expect(versions.size).toBe(1)
    const after = await state(stationA)
    expect(after.reports).toBe(before.reports + 1)
    expect(after.status.version).toBe(before.status.version + 1)
  })

  it('one key sent at once for two stations: one is written, the other is 422 and writes nothing', async () => {
    const admin = await signIn(app, 'admin')
    for (let round = 0; round < 5; round++) {
      const before = [await state(stationA), await state(stationB)]
      const k = key()
      const results = await Promise.all([
        post(stationA, { occupancy: 1 }, k, admin),
        post(stationB, { occupancy: 1 }, k, admin),
      ])
      expect(results.map((r) => r.status).sort()).toEqual([201, 422])
      const after = [await state(stationA), await state(stationB)]
      const written = after.map((a, i) => a.reports - before[i]!.reports)
      expect(written.sort()).toEqual([0, 1])
    }
  })

  it('a report that can never apply (a station without its status row) is 503 after its tries, writing nothing', async () => {
    const admin = await signIn(app, 'admin')
    const row = await db().knex('station_status').where({ station_id: stationB }).first()
    await db().knex('station_status').where({ station_id: stationB }).delete()
    try {
      const before = await state(stationB)
      const k = key()
      const res = await post(stationB, { occupancy: 1 }, k, admin)
      expect(res.status).toBe(503)
      expect(res.headers['retry-after']).toBe('1')
      expect(await state(stationB)).toEqual(before)
      expect(await db().knex('idempotency_keys').where({ key: k }).first()).toBeUndefined()
    } finally {
      await db().knex('station_status').insert(row)
    }
  })

  it('If-Match: 412 when the status moved on, accepted when current', async () => {
    const { status } = await state(stationA)
    const stale = await post(stationA, { occupancy: 2 }, key()).set(
      'If-Match',
      String(status.version - 1 < 0 ? 999 : status.version - 1),
    )
    expect(stale.status).toBe(412)
    const current = await post(stationA, { occupancy: 2 }, key()).set(
      'If-Match',
      `"${status.version}"`,
    )
    expect(current.status).toBe(201)
    expect((await post(stationA, { occupancy: 2 }, key()).set('If-Match', 'banana')).status).toBe(
      400,
    )
  })

  it('If-Match takes the ETag the server sent: of the station, then of each report', async () => {
    const read = await request(app).get(`/api/v1/stations/${stationA}`)
    const etag = read.headers.etag as string
    expect(etag).toMatch(new RegExp(`^"${read.body.status.version}-[\\w-]+"$`))
    // A conditional GET of an unchanged station is 304.
    const again = await request(app).get(`/api/v1/stations/${stationA}`).set('If-None-Match', etag)
    expect(again.status).toBe(304)
    const first = await post(stationA, { occupancy: 3 }, key()).set('If-Match', etag)
    expect(first.status).toBe(201)
    expect(first.headers.etag).toMatch(new RegExp(`^"${read.body.status.version + 1}-`))
    const late = await post(stationA, { occupancy: 4 }, key()).set('If-Match', etag)
    expect(late.status).toBe(412)
    const chained = await post(stationA, { occupancy: 4 }, key()).set(
      'If-Match',
      `W/${first.headers.etag}`,
    )
    expect(chained.status).toBe(201)
    expect((await post(stationA, { occupancy: 5 }, key()).set('If-Match', '*')).status).toBe(201)
  })

  it('200 concurrent reports with client retries over 20 stations: no report lost or doubled, each answer sees the reports before it', async () => {
    const admin = await signIn(app, 'admin')
    const stations: number[] = await db()
      .knex('stations')
      .where('state', 'active')
      .orderBy('id')
      .limit(20)
      .pluck('id')
    const caps = new Map<number, number>(
      (await db().knex('stations').whereIn('id', stations).select('id', 'capacity')).map((r) => [
        r.id,
        r.capacity,
      ]),
    )
    const before = new Map<number, Awaited<ReturnType<typeof state>>>()
    for (const id of stations) before.set(id, await state(id))
    let accepted = 0
    type Answer = { status: { version: number; supplies: Record<string, { level: number }> } }
    const answers = new Map<number, Answer[]>()
    const items = ['drinking_water', 'first_aid', 'hand_warmers'] as const
    const jobs = Array.from({ length: 200 }, (_, i) => {
      const id = stations[i % 20]!
      // Each report restocks or drains one item, so an answer holds the levels others left.
      const body = {
        occupancy: (i * 7) % (caps.get(id)! + 1),
        supplies: { [items[i % 3]!]: (i * 13) % 101 },
      }
      const k = key()
      return (async () => {
        // Each client retries its request (same key) as a flaky network would, and once more after success.
        for (let attempt = 0; attempt < 3; attempt++) {
          const res = await post(id, body, k, admin)
          if (res.status === 201 && attempt === 0) {
            accepted++
            answers.set(id, [...(answers.get(id) ?? []), res.body])
          }
          if (res.status !== 201) throw new Error(`unexpected ${res.status}`)
        }
      })()
    })
    await Promise.all(jobs)
    expect(accepted).toBe(200)
    for (const id of stations) {
      // Replaying the history in version order gives the supplies every answer must show.
      const levels: Record<string, number> = Object.fromEntries(
        before.get(id)!.supplies.map((r) => [r.item, r.level]),
      )
      const history = await db()
        .knex('status_reports')
        .where({ station_id: id })
        .where('version', '>', before.get(id)!.status.version)
        .orderBy('version')
      const mine = answers.get(id)!.sort((a, b) => a.status.version - b.status.version)
      expect(mine.map((a) => a.status.version)).toEqual(history.map((h) => h.version))
      history.forEach((h, i) => {
        Object.assign(levels, h.supplies)
        const shown = Object.fromEntries(
          Object.entries(mine[i]!.status.supplies).map(([item, v]) => [item, v.level]),
        )
        expect(shown).toEqual(levels)
      })
      const now = await request(app).get(`/api/v1/stations/${id}`)
      expect(mine.at(-1)).toEqual(now.body)
    }
    let total = 0
    for (const id of stations) {
      const s = await state(id)
      total += s.reports - before.get(id)!.reports
      // The final status is the last accepted report (highest version).
      const last = await db()
        .knex('status_reports')
        .where({ station_id: id })
        .orderBy('version', 'desc')
        .first()
      expect(s.status.occupancy).toBe(last.occupancy)
      expect(s.status.version).toBe(last.version)
      const versions: number[] = await db()
        .knex('status_reports')
        .where({ station_id: id })
        .orderBy('version')
        .pluck('version')
      expect(new Set(versions).size).toBe(versions.length)
    }
    expect(total).toBe(accepted)
  })

  // The race of the issue: a report that waited for the lock took its time before it, went back
  // in time and closed an alert before it opened (23514). Pinned, the clock gives every report
  // the same time, so order must come from the history itself.
  it.each([
    ['pinned', () => app],
    ['running', () => testApp(db())],
  ])(
    '20 concurrent reports on one station, water alternating 5 / 90, clock %s, 4 rounds: all accepted, history strictly ordered by version and time, alerts close after they open',
    async (_clock, target) => {
      const admin = await signIn(app, 'admin')
      const { id } = await db()
        .knex('stations')
        .where('state', 'active')
        .orderBy('id', 'desc')
        .first('id')
      const to = target()
      const { version: since } = (await state(id)).status
      const answers: { status: { version: number; reported_at: string } }[] = []
      for (let round = 0; round < 4; round++) {
        const results = await Promise.all(
          Array.from({ length: 20 }, (_, i) =>
            post(
              id,
              { occupancy: 1, supplies: { drinking_water: i % 2 ? 90 : 5 } },
              key(),
              admin,
              to,
            ),
          ),
        )
        expect(
          results.map((r) => r.status),
          JSON.stringify(results.filter((r) => r.status !== 201).map((r) => r.body)),
        ).toEqual(Array(20).fill(201))
        answers.push(...results.map((r) => r.body))
      }
      const { rows: disorder } = await db().knex.raw(
        `SELECT * FROM (
           SELECT version, reported_at, lag(version) OVER w AS prev_version,
                  lag(reported_at) OVER w AS prev_reported_at
             FROM status_reports WHERE station_id = ? AND version >= ?
           WINDOW w AS (ORDER BY version)) h
          WHERE version <> prev_version + 1 OR reported_at <= prev_reported_at`,
        [id, since],
      )
      expect(disorder).toEqual([])
      // Each answer shows the time that was stored for its version.
      const history = await db()
        .knex('status_reports')
        .where({ station_id: id })
        .orderBy('version')
        .select('version', 'reported_at', 'supplies')
      const storedAt = new Map(
        history.map((h) => [h.version, new Date(h.reported_at).toISOString()]),
      )
      for (const a of answers) expect(a.status.reported_at).toBe(storedAt.get(a.status.version))
      const { rows: badAlerts } = await db().knex.raw(
        `SELECT * FROM (
           SELECT id, opened_at, closed_at, lag(closed_at) OVER w AS prev_closed_at,
                  row_number() OVER w AS n
             FROM supply_alerts WHERE station_id = ? WINDOW w AS (PARTITION BY item ORDER BY id)) a
          WHERE closed_at < opened_at OR (n > 1 AND (prev_closed_at IS NULL OR opened_at < prev_closed_at))`,
        [id],
      )
      expect(badAlerts).toEqual([])
      // Water has an alert open exactly when the last report left it low.
      const water = await db()
        .knex('station_supplies')
        .where({ station_id: id, item: 'drinking_water' })
        .first()
      const open = await db()
        .knex('supply_alerts')
        .where({ station_id: id, item: 'drinking_water' })
        .whereNull('closed_at')
      expect(water.level).toBe(history.at(-1).supplies.drinking_water)
      expect(open).toHaveLength(water.level < water.low_threshold ? 1 : 0)
    },
  )

  // PGlite has one connection: a second writer cannot hold a lock while a report waits on it.
  if (backend === 'postgis')
    it('a report that waited for another writer answers with what that writer committed', async () => {
      const writer = await db().knex.transaction()
      const { version } = await writer('station_status')
        .where({ station_id: stationA })
        .increment('version', 1)
        .returning('version')
        .then((rows) => rows[0])
      await writer.raw(
        `INSERT INTO station_supplies (station_id, item, level) VALUES (?, 'umbrellas', 77)
         ON CONFLICT (station_id, item) DO UPDATE SET level = 77`,
        [stationA],
      )
      const pending = post(stationA, { occupancy: 2, supplies: { drinking_water: 50 } }).then(
        (r) => r,
      )
      await new Promise((r) => setTimeout(r, 300))
      await writer.commit()
      const res = await pending
      expect(res.status).toBe(201)
      expect(res.body.status.version).toBe(version + 1)
      expect(res.body.status.supplies.umbrellas.level).toBe(77)
      expect(res.body.status.supplies.drinking_water.level).toBe(50)
      expect(res.body).toEqual((await request(app).get(`/api/v1/stations/${stationA}`)).body)
    })

  if (backend === 'postgis')
    it('a report whose key another request is writing waits for it, then answers as the key says', async () => {
      const { id: userId } = await db().knex('users').where({ username: 'manager001' }).first('id')
      const k = key()
      const before = await state(stationA)
      const writer = await db().knex.transaction()
      await writer('idempotency_keys').insert({
        user_id: userId,
        key: k,
        request_hash: 'another request',
        status_code: 201,
        response: '{}',
      })
      const pending = post(stationA, { occupancy: 2 }, k).then((r) => r)
      await new Promise((r) => setTimeout(r, 300))
      await writer.commit()
      const res = await pending
      expect(res.status).toBe(422)
      expect(await state(stationA)).toEqual(before)
    })

  it('history is paged newest first, filtered by time; busy hours average by weekday and hour', async () => {
    const planner = await signIn(app, 'planner')
    const all = await request(app)
      .get(`/api/v1/stations/${stationA}/reports?limit=1000`)
      .set('Cookie', planner)
    expect(all.status).toBe(200)
    const ids = all.body.reports.map((r: { id: number }) => r.id)
    expect(ids).toEqual([...ids].sort((a, b) => b - a))
    const page1 = await request(app)
      .get(`/api/v1/stations/${stationA}/reports?limit=2`)
      .set('Cookie', managerA)
    const page2 = await request(app)
      .get(`/api/v1/stations/${stationA}/reports?limit=2&cursor=${page1.body.next_cursor}`)
      .set('Cookie', managerA)
    expect([...page1.body.reports, ...page2.body.reports].map((r: { id: number }) => r.id)).toEqual(
      ids.slice(0, 4),
    )
    const to = all.body.reports[1].reported_at
    const older = await request(app)
      .get(`/api/v1/stations/${stationA}/reports`)
      .query({ to, limit: 1000 })
      .set('Cookie', planner)
    expect(older.body.reports.every((r: { reported_at: string }) => r.reported_at < to)).toBe(true)
    expect(
      (await request(app).get(`/api/v1/stations/${stationB}/reports`).set('Cookie', managerA))
        .status,
    ).toBe(403)
    expect((await request(app).get(`/api/v1/stations/${stationA}/reports`)).status).toBe(401)
    expect(
      (
        await request(app)
          .get(`/api/v1/stations/${stationA}/reports?from=yesterday`)
          .set('Cookie', planner)
      ).status,
    ).toBe(400)

    // Reports under the pinned clock are 1 ms apart, so the later ones fall after it.
    const later = testApp(db(), { clock: () => new Date(pinned.getTime() + 60_000) })
    const busy = await request(later).get(`/api/v1/stations/${stationA}/busy-hours?weeks=4`)
    expect(busy.status).toBe(200)
    const { rows } = await db().knex.raw(
      `SELECT avg(occupancy)::float8 AS m, count(*)::int AS n FROM status_reports WHERE station_id = ?`,
      [stationA],
    )
    const cells = busy.body.hours as {
      weekday: number
      hour: number
      mean_occupancy: number
      reports: number
    }[]
    expect(cells.reduce((a, c) => a + c.reports, 0)).toBe(rows[0].n)
    const weighted = cells.reduce((a, c) => a + c.mean_occupancy * c.reports, 0) / rows[0].n
    expect(weighted).toBeCloseTo(rows[0].m, 1)
    for (const c of cells) {
      expect(c.weekday).toBeGreaterThanOrEqual(1)
      expect(c.weekday).toBeLessThanOrEqual(7)
      expect(c.hour).toBeGreaterThanOrEqual(0)
      expect(c.hour).toBeLessThan(24)
    }
    expect(
      (await request(app).get(`/api/v1/stations/${stationA}/busy-hours?weeks=100`)).status,
    ).toBe(400)
    expect((await request(app).get(`/api/v1/stations/999999/busy-hours`)).status).toBe(404)
  })

  it('keeps idempotency keys 48 hours, then prunes them', async () => {
    const k = key()
    expect((await post(stationA, { occupancy: 1 }, k)).status).toBe(201)
    const now = new Date()
    expect(await pruneIdempotencyKeys(db().knex, new Date(now.getTime() + 47 * 3600_000))).toBe(0)
    expect(
      await pruneIdempotencyKeys(db().knex, new Date(now.getTime() + 49 * 3600_000)),
    ).toBeGreaterThan(0)
    expect(await db().knex('idempotency_keys').where({ key: k }).first()).toBeUndefined()
  })
})
