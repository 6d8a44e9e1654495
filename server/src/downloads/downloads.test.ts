import { afterAll, beforeAll, expect, it } from 'vitest'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import request from 'supertest'
import type { App } from '../app.ts'
import { parse as parseCsv } from 'csv-parse/sync'
import { geojson as fgb } from 'flatgeobuf'
import { describeEachBackend } from '../../../test/db.ts'
import { seedTime, testApp } from '../../../test/app.ts'
import { toolAvailable } from '../../../test/tools.ts'

const run = promisify(execFile)
const hasGdal = toolAvailable('ogrinfo')
const CITY = encodeURIComponent('长沙市')

const binary = (req: request.Test) =>
  req.buffer(true).parse((res, cb) => {
    const chunks: Buffer[] = []
    res.on('data', (c: Buffer) => chunks.push(c))
    res.on('end', () => cb(null, Buffer.concat(chunks)))
  })

describeEachBackend('station downloads', (db) => {
  let app: App
  let dir: string
  const count = async (where = '') => {
    const { rows } = await db().knex.raw(
      `SELECT count(*)::int AS n FROM stations s WHERE s.state <> 'retired' ${where}`,
    )
    return rows[0].n as number
  }
  const get = (path: string) => binary(request(app).get(path))
  const save = async (name: string, path: string) => {
    const res = await get(path)
    expect(res.status, res.body.toString()).toBe(200)
    const file = `${dir}/${name}`
    fs.writeFileSync(file, res.body as Buffer)
    return { res, file }
  }
  const ogrinfo = async (file: string, ...options: string[]) =>
    (await run('ogrinfo', ['-so', '-al', ...options, file])).stdout
  const featureCount = (summary: string) => Number(/Feature Count: (\d+)/.exec(summary)?.[1])

  beforeAll(async () => {
    const now = await seedTime(db())
    app = testApp(db(), { clock: () => now })
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'yizhan-downloads-'))
  })
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))

  it('GeoJSON: every station, with the same flat columns as the OGC API', async () => {
    const res = await request(app).get('/api/v1/downloads/stations.geojson')
    expect(res.status).toBe(200)
    expect(res.headers['content-type']).toMatch(/^application\/geo\+json/)
    expect(res.headers['content-disposition']).toMatch(
      /^attachment; filename="?stations-\d{4}-\d\d-\d\d\.geojson"?$/,
    )
    const body = JSON.parse(res.text)
    expect(body.features).toHaveLength(await count())
    const ogc = JSON.parse((await request(app).get('/ogc/collections/stations/items?limit=5')).text)
    for (const f of ogc.features) {
      const mine = body.features.find((x: { id: number }) => x.id === f.id)
      expect(mine.properties).toEqual(f.properties)
      expect(mine.geometry).toEqual(f.geometry)
    }
  })

  it('a region or a bbox selects as the database does; the file is named by the region', async () => {
    const res = await request(app).get(`/api/v1/downloads/stations.geojson?city=${CITY}`)
    expect(JSON.parse(res.text).features).toHaveLength(await count(`AND s.city = '长沙市'`))
    expect(res.headers['content-disposition']).toContain(`filename*=UTF-8''stations-${CITY}-`)
    const box = await request(app).get(
      '/api/v1/downloads/stations.geojson?bbox=112.9,28.1,113.05,28.25',
    )
    expect(JSON.parse(box.text).features).toHaveLength(
      await count(`AND s.location::geometry && ST_MakeEnvelope(112.9, 28.1, 113.05, 28.25, 4326)`),
    )
  })

  it('CSV: UTF-8 with a BOM, a header, lon/lat or WKT from PostGIS', async () => {
    const res = await get(`/api/v1/downloads/stations.csv?city=${CITY}`)
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8')
    const text = (res.body as Buffer).toString('utf8')
    expect(text.startsWith('\ufeffid,code,name,')).toBe(true)
    const rows: Record<string, string>[] = parseCsv(text, { columns: true, bom: true })
    expect(rows).toHaveLength(await count(`AND s.city = '长沙市'`))
    const station = (await request(app).get(`/api/v1/stations/${rows[0]!.id}`)).body
    expect(Number(rows[0]!.lon)).toBe(station.location.lon)
    expect(Number(rows[0]!.lat)).toBe(station.location.lat)
    expect(rows[0]!.name).toBe(station.name)
    expect(rows[0]!.open_now).toBe(String(station.status.open_now))

    const wkt: Record<string, string>[] = parseCsv(
      (await get(`/api/v1/downloads/stations.csv?city=${CITY}&geometry=wkt`)).body.toString(),
      { columns: true, bom: true },
    )
    expect(wkt[0]!.wkt).toBe(`POINT(${station.location.lon} ${station.location.lat})`)
    expect(wkt[0]).not.toHaveProperty('lon')
  })

  it('FlatGeobuf: read back by the flatgeobuf library, every station with its id', async () => {
    const res = await get(`/api/v1/downloads/stations.fgb?city=${CITY}`)
    expect(res.headers['content-type']).toBe('application/flatgeobuf')
    const features = []
    for await (const f of fgb.deserialize(new Uint8Array(res.body as Buffer))) features.push(f)
    expect(features).toHaveLength(await count(`AND s.city = '长沙市'`))
    const first = features[0]!
    const station = (await request(app).get(`/api/v1/stations/${first.properties!.id}`)).body
    expect(first.properties!.name).toBe(station.name)
    expect(first.properties!.occupancy).toBe(station.status.occupancy)
    expect(first.geometry).toEqual({
      type: 'Point',
      coordinates: [station.location.lon, station.location.lat],
    })
  })

  it.skipIf(!hasGdal)(
    'GDAL opens each format with the database’s count and typed columns',
    async () => {
      const expected = await count(`AND s.city = '长沙市'`)
      const fgbFile = await save('s.fgb', `/api/v1/downloads/stations.fgb?city=${CITY}`)
      const summary = await ogrinfo(fgbFile.file)
      expect(featureCount(summary)).toBe(expected)
      expect(summary).toMatch(/ID\["EPSG",4326\]/)
      for (const [field, type] of [
        ['id', 'Integer'],
        ['occupancy', 'Integer'],
        ['open_now', 'Integer\\(Boolean\\)'],
        ['reported_at', 'DateTime'],
        ['supply_first_aid', 'Integer'],
        ['name', 'String'],
      ])
        expect(summary).toMatch(new RegExp(`^${field}: ${type} `, 'm'))

      const geo = await save('s.geojson', `/api/v1/downloads/stations.geojson?city=${CITY}`)
      expect(featureCount(await ogrinfo(geo.file))).toBe(expected)
      const csv = await save('s.csv', `/api/v1/downloads/stations.csv?city=${CITY}`)
      const csvSummary = await ogrinfo(
        csv.file,
        '-oo',
        'X_POSSIBLE_NAMES=lon',
        '-oo',
        'Y_POSSIBLE_NAMES=lat',
        '-oo',
        'AUTODETECT_TYPE=YES',
      )
      expect(featureCount(csvSummary)).toBe(expected)
      expect(csvSummary).toMatch(/Geometry: Point/)
      const wkt = await save('w.csv', `/api/v1/downloads/stations.csv?city=${CITY}&geometry=wkt`)
      const wktSummary = await ogrinfo(wkt.file, '-oo', 'GEOM_POSSIBLE_NAMES=wkt')
      expect(featureCount(wktSummary)).toBe(expected)
      // the extent GDAL computes from the WKT column: the points were read as geometries
      expect(wktSummary).toMatch(/Extent: \(1\d\d\.\d+, 2\d\.\d+\)/)
    },
  )

  it('compressed, cached for as long as the live columns hold, and conditional', async () => {
    const first = await get(`/api/v1/downloads/stations.fgb?city=${CITY}`).set(
      'Accept-Encoding',
      'gzip',
    )
    expect(first.headers['content-encoding']).toBe('gzip')
    expect(first.headers.vary).toMatch(/Accept-Encoding/)
    expect(first.headers['cache-control']).toBe('public, max-age=15')
    const again = await request(app)
      .get(`/api/v1/downloads/stations.fgb?city=${CITY}`)
      .set('Accept-Encoding', 'gzip')
      .set('If-None-Match', first.headers.etag!)
    expect(again.status).toBe(304)
  })

  it('bad input (an unknown format too) is a 400 problem; another file is a 404', async () => {
    for (const query of [
      'colour=red',
      'bbox=1,2,3',
      'geometry=geojson',
      'availability=busy',
      'city=a&city=b',
    ]) {
      const res = await request(app).get(`/api/v1/downloads/stations.csv?${query}`)
      expect(res.status, query).toBe(400)
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/)
    }
    expect((await request(app).get('/api/v1/downloads/stations.kml')).status).toBe(400)
    expect((await request(app).get('/api/v1/downloads/other.csv')).status).toBe(404)
  })
})
