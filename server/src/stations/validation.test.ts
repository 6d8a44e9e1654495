import { beforeAll, expect, it } from 'vitest'
import request from 'supertest'
import type { App } from '../app.ts'
import { describeEachBackend } from '../../../test/db.ts'
import { signIn, testApp } from '../../../test/app.ts'

const validStation = {
  code: 'HN-TEST-00001',
  name: '测试驿站',
  location: { lon: 112.95, lat: 28.2 },
  capacity: 10,
}

describeEachBackend('bad input', (db) => {
  let app: App
  let admin: string

  beforeAll(async () => {
    app = testApp(db())
    admin = await signIn(app, 'admin')
  })

  async function counts() {
    const [s] = await db().knex('stations').count({ n: '*' })
    const [st] = await db().knex('station_status').count({ n: '*' })
    const [max] = await db().knex('stations').max({ t: 'updated_at' })
    return { s: Number(s!.n), st: Number(st!.n), t: String(max!.t) }
  }

  const badQueries: [string, string][] = [
    ['missing lat', 'lon=112.9'],
    ['lat out of range', 'lat=91&lon=112.9'],
    ['lon out of range', 'lat=28&lon=-181'],
    ['non-numeric lat', 'lat=abc&lon=112.9'],
    ['empty lat', 'lat=&lon=112.9'],
    ['NaN', 'lat=NaN&lon=112.9'],
    ['Infinity', 'lat=28&lon=Infinity'],
    ['huge limit', 'lat=28&lon=112.9&limit=1000000'],
    ['zero limit', 'lat=28&lon=112.9&limit=0'],
    ['fractional limit', 'lat=28&lon=112.9&limit=2.5'],
    ['huge radius', 'lat=28&lon=112.9&radius_m=1e9'],
    ['negative radius', 'lat=28&lon=112.9&radius_m=-5'],
    ['unknown amenity', 'lat=28&lon=112.9&amenities=spa'],
    ['unknown supply', 'lat=28&lon=112.9&supplies=beer'],
    ['bad boolean', 'lat=28&lon=112.9&open_now=yes'],
    ['open_for past 12 h', 'lat=28&lon=112.9&open_for=721'],
    ['negative open_for', 'lat=28&lon=112.9&open_for=-5'],
    ['open_for against open_now=false', 'lat=28&lon=112.9&open_for=15&open_now=false'],
    ['unknown order', 'lat=28&lon=112.9&order=rating'],
    ['unknown parameter', 'lat=28&lon=112.9&radius=100'],
    ['repeated parameter', 'lat=28&lat=29&lon=112.9'],
  ]
  it.each(badQueries)('nearest with %s → 400 problem+json', async (_name, qs) => {
    const res = await request(app).get(`/api/v1/stations/nearest?${qs}`)
    expect(res.status).toBe(400)
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/)
    expect(res.body).toMatchObject({ status: 400, title: 'Bad Request', type: expect.any(String) })
    expect(res.body.errors.length).toBeGreaterThan(0)
  })

  const badBbox = [
    '1,2,3',
    '113,28,112,29',
    '112,29,113,28',
    'a,b,c,d',
    '-200,0,10,10',
    '112,28,113,29,1',
    '',
  ]
  it.each(badBbox)('bbox %j → 400', async (bbox) => {
    const res = await request(app).get('/api/v1/stations').query({ bbox })
    expect(res.status).toBe(400)
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/)
  })

  it.each([
    '/api/v1/stations?bbox=112,28,113,29&limit=5000',
    '/api/v1/stations?bbox=112,28,113,29&cursor=x',
  ])('%s → 400', async (url) => {
    expect((await request(app).get(url)).status).toBe(400)
  })

  it.each([
    '/api/v1/stations/0',
    '/api/v1/stations/abc',
    '/api/v1/stations/1.5',
    '/api/v1/stations/99999999999',
  ])('%s → 400', async (url) => {
    expect((await request(app).get(url)).status).toBe(400)
  })

  it.each([
    '/api/v1/tiles/stations/23/0/0.mvt',
    '/api/v1/tiles/stations/2/4/0.mvt',
    '/api/v1/tiles/stations/a/0/0.mvt',
    // one URL per tile: no leading zeros, signs or decimals
    '/api/v1/tiles/stations/02/1/1.mvt',
    '/api/v1/tiles/stations/2/+1/1.mvt',
    '/api/v1/tiles/stations/2/1/1.0.mvt',
  ])('%s → 400', async (url) => {
    expect((await request(app).get(url)).status).toBe(400)
  })

  const badBodies: [string, unknown][] = [
    ['unknown field', { ...validStation, colour: 'red' }],
    ['missing name', { ...validStation, name: undefined }],
    ['latitude out of range', { ...validStation, location: { lon: 112, lat: 95 } }],
    ['string capacity', { ...validStation, capacity: '10' }],
    ['negative capacity', { ...validStation, capacity: -1 }],
    ['huge capacity', { ...validStation, capacity: 1e9 }],
    ['unknown amenity', { ...validStation, amenities: ['spa'] }],
    ['bad opening hours', { ...validStation, opening_hours: 'whenever' }],
    ['bad time zone', { ...validStation, timezone: 'Mars/Olympus' }],
    ['bad state', { ...validStation, state: 'demolished' }],
    ['lower-case code', { ...validStation, code: 'hn-1' }],
    ['array body', [validStation]],
  ]
  it.each(badBodies)('POST /stations with %s → 400 and nothing written', async (_n, body) => {
    const before = await counts()
    const res = await request(app)
      .post('/api/v1/stations')
      .set('Cookie', admin)
      .send(body as object)
    expect(res.status).toBe(400)
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/)
    expect(await counts()).toEqual(before)
  })

  it('malformed JSON → 400 problem+json', async () => {
    const res = await request(app)
      .post('/api/v1/stations')
      .set('Cookie', admin)
      .set('Content-Type', 'application/json')
      .send('{"code": ')
    expect(res.status).toBe(400)
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/)
  })

  it('PATCH with bad or empty body → 400 and nothing changed', async () => {
    const before = await counts()
    for (const body of [{}, { capacity: -3 }, { nope: 1 }, { location: { lon: 500, lat: 0 } }]) {
      const res = await request(app).patch('/api/v1/stations/1').set('Cookie', admin).send(body)
      expect(res.status).toBe(400)
    }
    expect(await counts()).toEqual(before)
  })

  it('an unknown route is a 404 problem', async () => {
    const res = await request(app).get('/api/v1/nothing-here')
    expect(res.status).toBe(404)
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/)
  })
})
