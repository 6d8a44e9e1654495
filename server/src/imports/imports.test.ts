import { beforeAll, expect, it } from 'vitest'
import request from 'supertest'
import type { App } from '../app.ts'
import iconv from 'iconv-lite'
import gcoord from 'gcoord'
import { describeEachBackend } from '../../../test/db.ts'
import { signIn, testApp } from '../../../test/app.ts'

const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'

describeEachBackend('station imports and exports', (db) => {
  let app: App
  let admin: string
  const count = async (table = 'stations') =>
    Number((await db().knex(table).count({ n: '*' }))[0]!.n)
  const upload = (body: Buffer | string, type: string, query = '', cookie = admin) =>
    request(app)
      .post(`/api/v1/imports/stations${query}`)
      .set('Cookie', cookie)
      .set('Content-Type', type)
      .send(body)
  const download = (ext: 'csv' | 'xlsx', cookie = admin) =>
    request(app)
      .get(`/api/v1/exports/stations.${ext}`)
      .set('Cookie', cookie)
      .buffer(true)
      .parse((res, done) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () => done(null, Buffer.concat(chunks)))
      })

  beforeAll(async () => {
    app = testApp(db())
    admin = await signIn(app, 'admin')
  })

  it('an export imports back as all unchanged (CSV and XLSX)', async () => {
    const total = await count()
    for (const [ext, type] of [
      ['csv', 'text/csv'],
      ['xlsx', XLSX],
    ] as const) {
      const file = await download(ext)
      expect(file.status, ext).toBe(200)
      const res = await upload(file.body as Buffer, type)
      expect(res.status, ext).toBe(200)
      expect(res.body, ext).toMatchObject({ created: 0, updated: 0, unchanged: total, errors: [] })
    }
    expect(await count('audit_log')).toBe(0)
  }, 120_000)

  it('a GCJ-02 spreadsheet in GB18030 with one bad row writes nothing; fixed, it imports', async () => {
    const gcj = [
      [112.9861, 28.1963],
      [112.9911, 28.2012],
    ]
    const csv = (amenity: string) =>
      [
        '编号,名称,城市,区县,经度,纬度,设施,座位数,开放时间',
        `IMP-001,导入驿站一,长沙市,芙蓉区,${gcj[0]!.join(',')},饮用水、热水,8,Mo-Su 07:00-22:00`,
        `IMP-002,导入驿站二,长沙市,芙蓉区,${gcj[1]!.join(',')},${amenity},6,24/7`,
      ].join('\r\n')
    const before = await count()
    const bad = await upload(iconv.encode(csv('饮用水|桑拿'), 'gb18030'), 'text/csv', '?crs=gcj02')
    expect(bad.status).toBe(200)
    expect(bad.body).toMatchObject({ written: false, import_id: null, created: 1 })
    expect(bad.body.errors).toEqual([
      { row: 3, column: 'amenities', message: 'unknown amenity 桑拿' },
    ])
    expect(await count()).toBe(before)

    const dry = await upload(
      iconv.encode(csv('饮用水|wifi'), 'gb18030'),
      'text/csv',
      '?crs=gcj02&dry_run=true',
    )
    expect(dry.body).toMatchObject({ written: false, created: 2, errors: [] })
    expect(await count()).toBe(before)

    const good = await upload(iconv.encode(csv('饮用水|wifi'), 'gb18030'), 'text/csv', '?crs=gcj02')
    expect(good.body).toMatchObject({ written: true, created: 2, updated: 0, errors: [] })
    expect(await count()).toBe(before + 2)
    const row = await db()
      .knex('stations')
      .select(
        'name',
        'amenities',
        db().knex.raw('ST_X(location::geometry) AS lon'),
        db().knex.raw('ST_Y(location::geometry) AS lat'),
      )
      .where({ code: 'IMP-002' })
      .first()
    expect(row.name).toBe('导入驿站二')
    expect(row.amenities).toEqual(['drinking_water', 'wifi'])
    const [lon, lat] = gcoord.transform(gcj[1] as [number, number], gcoord.GCJ02, gcoord.WGS84)
    expect(row.lon).toBeCloseTo(lon, 7)
    expect(row.lat).toBeCloseTo(lat, 7)
    // GCJ-02 is offset from WGS-84 by a few hundred metres around Changsha.
    expect(Math.abs(row.lon - gcj[1]![0]!) * 1e5).toBeGreaterThan(100)
    const audit = await db().knex('audit_log').where({ import_id: good.body.import_id })
    expect(audit).toHaveLength(2)
    expect(audit.every((a) => a.action === 'station.import')).toBe(true)

    // The same file again changes nothing; a changed capacity is one update.
    const again = await upload(
      iconv.encode(csv('饮用水|wifi'), 'gb18030'),
      'text/csv',
      '?crs=gcj02',
    )
    expect(again.body).toMatchObject({ created: 0, updated: 0, unchanged: 2 })
    const edit = await upload('code,capacity\nIMP-001,9\n', 'text/csv')
    expect(edit.body).toMatchObject({ created: 0, updated: 1, unchanged: 0, errors: [] })
    const [entry] = await db().knex('audit_log').where({ import_id: edit.body.import_id })
    expect(entry).toMatchObject({ before: { capacity: 8 }, after: { capacity: 9 } })
  })

  it('reports every kind of row error at once', async () => {
    const csv = [
      'code,name,lon,lat,capacity,opening_hours,amenities',
      'ERR-1,好站,112.98,28.19,4,24/7,wifi',
      'ERR-1,重复,112.98,28.19,4,24/7,',
      'ERR-2,坏坐标,east,28.19,4,24/7,',
      'ERR-3,坏时间,112.98,28.19,4,Mo-Fr 25:00-99:00,',
      'ERR-4,坏座位,112.98,28.19,lots,24/7,',
      ',无编号,112.98,28.19,4,24/7,',
      'ERR-5,,112.98,28.19,4,24/7,',
    ].join('\n')
    const res = await upload(csv, 'text/csv')
    expect(res.body.written).toBe(false)
    expect(res.body.errors.map((e: { row: number; column: string }) => [e.row, e.column])).toEqual([
      [3, 'code'],
      [4, 'lon'],
      [5, 'opening_hours'],
      [6, 'capacity'],
      [7, 'code'],
      [8, 'name'],
    ])
    expect(await db().knex('stations').where('code', 'like', 'ERR-%')).toEqual([])
    const partial = await upload(csv, 'text/csv', '?partial=true')
    expect(partial.body).toMatchObject({ written: true, created: 1 })
  })

  it('a city admin imports only inside the city', async () => {
    const made = await request(app)
      .post('/api/v1/users')
      .set('Cookie', admin)
      .send({
        username: 'imp-cs-admin',
        role: 'admin',
        region: { city: '长沙市' },
        password: 'import-admin-password',
      })
    expect(made.status).toBe(201)
    const cityAdmin = await signIn(app, 'imp-cs-admin', 'import-admin-password')
    const zhuzhou = await db()
      .knex('stations')
      .select(
        'code',
        db().knex.raw('ST_X(location::geometry) AS lon'),
        db().knex.raw('ST_Y(location::geometry) AS lat'),
      )
      .where({ city: '株洲市', state: 'active' })
      .first()
    const csv = [
      'code,name,city,lon,lat,capacity',
      'CITY-1,城内,长沙市,112.98,28.19,4',
      `CITY-2,城外,长沙市,${zhuzhou.lon},${zhuzhou.lat},4`,
      `${zhuzhou.code},改别人的,株洲市,${zhuzhou.lon},${zhuzhou.lat},4`,
    ].join('\n')
    const res = await upload(csv, 'text/csv', '', cityAdmin)
    expect(res.body.errors.map((e: { row: number; column: string }) => [e.row, e.column])).toEqual([
      [3, 'lon'],
      [4, 'code'],
    ])
    expect(res.body.written).toBe(false)
    const exported = await download('csv', cityAdmin)
    const lines = (exported.body as Buffer).toString('utf8').trim().split('\n')
    expect(lines.length).toBeGreaterThan(1)
    expect(lines.slice(1).every((l) => l.includes(',长沙市,'))).toBe(true)
  })

  it('takes GeoJSON; refuses other types and unreadable files', async () => {
    const geojson = {
      type: 'FeatureCollection',
      features: [
        {
          type: 'Feature',
          geometry: { type: 'Point', coordinates: [112.95, 28.23] },
          properties: {
            code: 'GEO-1',
            name: '地理驿站',
            capacity: 5,
            amenities: ['wifi', 'toilet'],
          },
        },
      ],
    }
    const res = await upload(JSON.stringify(geojson), 'application/geo+json')
    expect(res.body).toMatchObject({ created: 1, errors: [] })
    expect((await upload('code\nX', 'text/plain')).status).toBe(415)
    expect((await upload('not a zip', XLSX)).status).toBe(400)
    expect((await upload('name\nX', 'text/csv')).status).toBe(400)
    const planner = await signIn(app, 'planner')
    expect((await upload('code\nX', 'text/csv', '', planner)).status).toBe(403)
    expect((await download('csv', planner)).status).toBe(403)
  })

  it('planners import demand points into a data set that analyses can choose', async () => {
    const planner = await signIn(app, 'planner')
    const send = (csv: string, query: string) =>
      request(app)
        .post(`/api/v1/imports/demand-points?${query}`)
        .set('Cookie', planner)
        .set('Content-Type', 'text/csv')
        .send(csv)
    const good = ['经度,纬度,权重', '112.97,28.19,5', '112.98,28.20,2.5', '112.99,28.21,']
    const bad = await send([...good, 'x,28.2,1'].join('\n'), 'dataset=survey')
    expect(bad.body).toMatchObject({
      written: false,
      inserted: 0,
      errors: [{ row: 5, column: 'lon' }],
    })
    expect(await db().knex('demand_points').where({ dataset: 'survey' })).toEqual([])
    const first = await send(good.join('\n'), 'dataset=survey')
    expect(first.body).toMatchObject({ written: true, inserted: 3, removed: 0, errors: [] })
    const more = await send(good.join('\n'), 'dataset=survey&mode=append')
    expect(more.body).toMatchObject({ inserted: 3, removed: 0 })
    const replaced = await send(good.join('\n'), 'dataset=survey&mode=replace')
    expect(replaced.body).toMatchObject({ inserted: 3, removed: 6 })
    const sets = await request(app).get('/api/v1/coverage/datasets').set('Cookie', planner)
    expect(sets.body.datasets).toContainEqual({ name: 'survey', points: 3, weight: 8.5 })
    expect(sets.body.datasets.map((d: { name: string }) => d.name)).toContain('default')
    const total = async (dataset: string) =>
      (
        await request(app)
          .get(`/api/v1/coverage/gaps?bbox=112.9,28.1,113.05,28.25&dataset=${dataset}`)
          .set('Cookie', planner)
      ).body.summary.total_demand as number
    // totals are whole workers, each rounded: the survey's 8.5 adds 8 or 9
    const added = (await total('survey')) - (await total('nothing-here'))
    expect(added).toBeGreaterThanOrEqual(8)
    expect(added).toBeLessThanOrEqual(9)
    const [entry] = await db()
      .knex('audit_log')
      .where({ action: 'demand.import' })
      .orderBy('id', 'desc')
    expect(entry.after).toEqual({ dataset: 'survey', mode: 'replace', inserted: 3, removed: 6 })
  })
})
