import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, expect, it } from 'vitest'
import request from 'supertest'
import type { App } from '../app.ts'
import { describeEachBackend } from '../../../test/db.ts'
import { signIn, stationBody, testApp, testConfig } from '../../../test/app.ts'
import { placesResponse, type PlaceFeature } from './schema.ts'

type Found = PlaceFeature[]

/** A stand-in for Tianditu's place search (地名搜索 V2.0) answering as its documentation shows. */
function tiandituStandIn() {
  const asked: { postStr: Record<string, unknown>; tk: string | null; type: string | null }[] = []
  let mode: 'ok' | 'error' | 'slow' | 'garbage' = 'ok'
  const server = http.createServer((req, res) => {
    const url = new URL(req.url!, 'http://localhost')
    if (url.pathname !== '/v2/search') return res.writeHead(404).end()
    asked.push({
      postStr: JSON.parse(url.searchParams.get('postStr') ?? '{}'),
      tk: url.searchParams.get('tk'),
      type: url.searchParams.get('type'),
    })
    if (mode === 'slow') return void setTimeout(() => res.end('{}'), 3000)
    if (mode === 'garbage') return res.writeHead(502).end('<html>bad gateway</html>')
    res.setHeader('content-type', 'application/json;charset=UTF-8')
    if (mode === 'error')
      return res.end(JSON.stringify({ status: { infocode: 3003, cndesc: '权限验证失败' } }))
    res.end(
      JSON.stringify({
        resultType: 1,
        count: 2,
        keyWord: '湖南师范大学',
        pois: [
          {
            name: '湖南师范大学',
            phone: '0731-88872114',
            address: '长沙市岳麓区麓山路36号',
            lonlat: '112.94152,28.19107',
            poiType: 101,
            eaddress: '',
            ename: 'Hunan Normal University',
            hotPointID: '9F5A3DC0B5E4B2C2',
            province: '湖南省',
            provinceCode: '156430000',
            city: '长沙市',
            cityCode: '156430100',
            county: '岳麓区',
            countyCode: '156430104',
            source: '0',
            typeCode: '160101',
            typeName: '高等院校',
          },
          {
            name: '湖南师范大学二里半校区',
            address: '长沙市岳麓区麓山南路',
            lonlat: '112.93771 28.18790',
            hotPointID: '9F5A3DC0B5E4B2C3',
            province: '湖南省',
            city: '长沙市',
            county: '岳麓区',
          },
          { name: 'no coordinates', lonlat: 'abc' },
        ],
        status: { infocode: 1000, cndesc: '服务正常' },
      }),
    )
  })
  return {
    asked,
    setMode: (m: typeof mode) => (mode = m),
    listen: () =>
      new Promise<string>((resolve) =>
        server.listen(0, '127.0.0.1', () =>
          resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`),
        ),
      ),
    close: () => new Promise((resolve) => server.close(resolve)),
  }
}

describeEachBackend('place search', (db) => {
  let app: App
  let admin: string
  const find = async (q: string, extra: Record<string, string> = {}, to = app): Promise<Found> => {
    const res = await request(to)
      .get('/api/v1/places')
      .query({ q, ...extra })
    expect(res.status, `${q}: ${JSON.stringify(res.body).slice(0, 300)}`).toBe(200)
    expect(res.headers['content-type']).toMatch(/^application\/geo\+json/)
    return placesResponse.parse(res.body).features
  }
  const names = (found: Found) => found.map((f) => f.properties.name)

  beforeAll(async () => {
    app = testApp(db())
    admin = await signIn(app, 'admin')
    for (const [code, name, location] of [
      ['HN-CS-PL001', '五一广场驿站', { lon: 112.9772, lat: 28.1961 }],
      ['HN-CS-PL002', '长沙火车站环卫驿站', { lon: 113.0129, lat: 28.1946 }],
    ] as const) {
      const res = await request(app)
        .post('/api/v1/stations')
        .set('Cookie', admin)
        .send({
          ...stationBody(code),
          name,
          location,
          city: '长沙市',
          district: '芙蓉区',
          address: `湖南省长沙市芙蓉区${name}旁`,
        })
      expect(res.status).toBe(201)
    }
  })

  it('finds a station by its Chinese name, pinyin in full and by initials, any case and tone', async () => {
    for (const q of [
      '五一广场',
      'wuyiguangchang',
      'wu yi guang chang',
      'WuYiGuangChang',
      'Wǔ Yī Guǎngchǎng',
      'wygc',
      'WYGC',
    ]) {
      const [first] = await find(q)
      expect(first?.properties, q).toMatchObject({
        kind: 'station',
        name: '五一广场驿站',
        code: 'HN-CS-PL001',
        city: '长沙市',
        district: '芙蓉区',
      })
      expect(first!.id).toBe(`station:${first!.properties.station_id}`)
      expect(first!.geometry.coordinates).toEqual([112.9772, 28.1961])
    }
  })

  it('forgives one wrong or missing character', async () => {
    for (const q of ['五一广厂', '五广场驿站', 'wuyiguanchang', 'wuyiguangcahng']) {
      expect(names(await find(q)).slice(0, 3), q).toContain('五一广场驿站')
    }
    expect(names(await find('changsah'))[0]).toBe('长沙市')
    expect(names(await find('岳麓去'))[0]).toBe('岳麓区')
  })

  it('finds cities and districts, at the middle of their stations, with their extent', async () => {
    const [city] = await find('changsha')
    expect(city).toMatchObject({ id: 'city:长沙市', properties: { kind: 'city', name: '长沙市' } })
    const [lon, lat] = city!.geometry.coordinates
    // the city core, not pulled out by the counties' stations
    expect(Math.abs(lon - 112.94)).toBeLessThan(0.05)
    expect(Math.abs(lat - 28.22)).toBeLessThan(0.05)
    const [w, s, e, n] = city!.bbox!
    expect(w < lon && lon < e && s < lat && lat < n).toBe(true)
    expect(names(await find('长沙'))[0]).toBe('长沙市')
    expect(names(await find('cs')).slice(0, 3)).toContain('长沙市')

    const [district] = await find('yuelu')
    expect(district).toMatchObject({
      id: 'district:长沙市/岳麓区',
      properties: { kind: 'district', name: '岳麓区', city: '长沙市', district: '岳麓区' },
    })
    expect(district!.bbox).toHaveLength(4)
    expect((await find('湘西'))[0]?.properties).toMatchObject({
      kind: 'city',
      name: '湘西土家族苗族自治州',
    })
  })

  it('finds a station by its code and by its address', async () => {
    expect((await find('hn-cs-pl002'))[0]?.properties.name).toBe('长沙火车站环卫驿站')
    expect(names(await find('芙蓉区长沙火车站环卫驿站旁'))[0]).toBe('长沙火车站环卫驿站')
  })

  it('ranks nearer places first among equals, given lon/lat or a bbox', async () => {
    const near = (found: Found, lon: number) => Math.abs(found[0]!.geometry.coordinates[0] - lon)
    const aroundWest = await find('驿站', { lon: '110.0', lat: '27.55', limit: '5' })
    const aroundEast = await find('驿站', { bbox: '112.9,28.1,113.1,28.3', limit: '5' })
    expect(near(aroundWest, 110)).toBeLessThan(0.5)
    expect(near(aroundEast, 113)).toBeLessThan(0.2)
  })

  it('finds an edited station by its new name at once, and no longer a retired one', async () => {
    const id = (await find('HN-CS-PL002'))[0]!.properties.station_id
    const edit = await request(app)
      .patch(`/api/v1/stations/${id}`)
      .set('Cookie', admin)
      .send({ name: '橘子洲头暖心驿站' })
    expect(edit.status).toBe(200)
    const [found] = await find('juzizhoutou')
    expect(found?.properties).toMatchObject({ station_id: id, name: '橘子洲头暖心驿站' })
    expect(names(await find('火车站环卫驿站'))).not.toContain('长沙火车站环卫驿站')

    // a write that bypasses the API (an import, another server) is seen too
    await db()
      .knex('stations')
      .where({ id })
      .update({ state: 'retired', updated_at: db().knex.fn.now() })
    expect(names(await find('橘子洲头暖心驿站'))).not.toContain('橘子洲头暖心驿站')
    await db()
      .knex('stations')
      .where({ id })
      .update({ state: 'active', updated_at: db().knex.fn.now() })
    expect(names(await find('橘子洲头暖心驿站'))[0]).toBe('橘子洲头暖心驿站')
  })

  it('limits the answer: 10 by default, 1 to 50', async () => {
    expect(await find('驿站')).toHaveLength(10)
    expect(await find('驿站', { limit: '50' })).toHaveLength(50)
    expect(await find('驿站', { limit: '1' })).toHaveLength(1)
    expect(await find('zzzzqqqqxxxx')).toEqual([])
  })

  it('bad input is a 400 problem naming the parameter', async () => {
    const cases: [Record<string, string | string[]>, string][] = [
      [{}, 'q'],
      [{ q: '' }, 'q'],
      [{ q: '   ' }, 'q'],
      [{ q: 'x'.repeat(65) }, 'q'],
      [{ q: ['a', 'b'] }, 'q'],
      [{ q: 'a', limit: '0' }, 'limit'],
      [{ q: 'a', limit: '51' }, 'limit'],
      [{ q: 'a', limit: 'ten' }, 'limit'],
      [{ q: 'a', lon: '113' }, 'lon'],
      [{ q: 'a', lon: '181', lat: '28' }, 'lon'],
      [{ q: 'a', bbox: '113,28,112,29' }, 'bbox'],
      [{ q: 'a', radius: '5' }, 'query'],
    ]
    for (const [query, path] of cases) {
      const res = await request(app).get('/api/v1/places').query(query)
      expect(res.status, JSON.stringify(query).slice(0, 80)).toBe(400)
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/)
      expect(
        res.body.errors.map((e: { path: string }) => e.path),
        JSON.stringify(query).slice(0, 80),
      ).toContain(path)
    }
    expect(await find('x'.repeat(64))).toBeInstanceOf(Array)
  })

  describeTianditu(db)
})

function describeTianditu(db: () => import('../db/knex.ts').Database) {
  const standIn = tiandituStandIn()
  let withKey: App

  beforeAll(async () => {
    const url = await standIn.listen()
    withKey = testApp(db(), {
      config: testConfig({
        TIANDITU_KEY: '0123456789abcdef0123456789abcdef',
        TIANDITU_API_URL: url,
        TIANDITU_TIMEOUT_MS: '300',
      }),
    })
  })
  afterAll(() => standIn.close())

  const search = (q: string, query: Record<string, string> = {}) =>
    request(withKey)
      .get('/api/v1/places')
      .query({ q, ...query })

  it("with a Tianditu key, adds the geocoder's places after ours", async () => {
    standIn.setMode('ok')
    const res = await search('湖南师范', { bbox: '112.8,28.1,113.1,28.3', limit: '6' })
    expect(res.status).toBe(200)
    const features = placesResponse.parse(res.body).features
    const kinds = features.map((f) => f.properties.kind)
    // ours first, then up to half the limit from Tianditu; the malformed one left out
    expect(kinds.slice(-2)).toEqual(['tianditu', 'tianditu'])
    expect(kinds.slice(0, -2).every((k) => k !== 'tianditu')).toBe(true)
    expect(features.length).toBeLessThanOrEqual(6)
    expect(features.at(-2)).toMatchObject({
      id: 'tianditu:9F5A3DC0B5E4B2C2',
      geometry: { coordinates: [112.94152, 28.19107] },
      properties: {
        kind: 'tianditu',
        name: '湖南师范大学',
        city: '长沙市',
        district: '岳麓区',
        address: '长沙市岳麓区麓山路36号',
        station_id: null,
      },
    })
    expect(features.at(-1)!.geometry.coordinates).toEqual([112.93771, 28.1879])
    const asked = standIn.asked.at(-1)!
    expect(asked).toMatchObject({
      tk: '0123456789abcdef0123456789abcdef',
      type: 'query',
      postStr: { keyWord: '湖南师范', queryType: 1, mapBound: '112.8,28.1,113.1,28.3', start: 0 },
    })
  })

  it('searches the stations extent when no bbox is given', async () => {
    standIn.setMode('ok')
    await search('湖南师范')
    const bound = String(standIn.asked.at(-1)!.postStr.mapBound).split(',').map(Number)
    expect(bound).toHaveLength(4)
    expect(bound[0]).toBeGreaterThan(108)
    expect(bound[2]).toBeLessThan(115)
  })

  it('answers with ours alone when Tianditu fails, refuses or is slow', async () => {
    const ours = placesResponse.parse(
      (await request(testApp(db())).get('/api/v1/places').query({ q: '五一广场' })).body,
    )
    for (const mode of ['error', 'garbage', 'slow'] as const) {
      standIn.setMode(mode)
      const started = Date.now()
      const res = await search('五一广场')
      expect(res.status, mode).toBe(200)
      expect(res.body, mode).toEqual(ours)
      expect(Date.now() - started, mode).toBeLessThan(2500)
    }
  })
}
