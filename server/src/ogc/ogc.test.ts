import { beforeAll, expect, it } from 'vitest'
import request from 'supertest'
import type { App } from '../app.ts'
import { describeEachBackend } from '../../../test/db.ts'
import { seedTime, signIn, testApp } from '../../../test/app.ts'
import { AVAILABILITIES } from '../../../contract/vocabulary.ts'
import { CONFORMANCE } from './routes.ts'

// The assertions of the OGC API – Features abstract test suites (Part 1 core, GeoJSON, HTML,
// OpenAPI 3.0; Part 2 CRS), written as tests: the OGC's executable suite (TEAM Engine) does
// not run here. Each `it` names the abstract tests it covers.

const CRS84 = 'http://www.opengis.net/def/crs/OGC/1.3/CRS84'
const EPSG4326 = 'http://www.opengis.net/def/crs/EPSG/0/4326'
const EPSG3857 = 'http://www.opengis.net/def/crs/EPSG/0/3857'
const ITEMS = '/ogc/collections/stations/items'

interface Feature {
  type: string
  id: number | string
  geometry: { type: string; coordinates: number[] }
  properties: Record<string, unknown>
  links: { rel: string; href: string }[]
}
interface Page {
  type: string
  features: Feature[]
  numberMatched: number
  numberReturned: number
  links: { rel: string; href: string; type?: string }[]
}

const relOf = (links: { rel: string; href: string }[], rel: string) =>
  links.find((l) => l.rel === rel)?.href

/** A link's path and query, for supertest against the in-process app. */
const local = (href: string) => {
  const u = new URL(href)
  return u.pathname + u.search
}

describeEachBackend('OGC API – Features', (db) => {
  let app: App
  let now: Date
  let planner: string

  // one Host for all: the links are absolute, and each supertest request has its own port
  const get = (path: string) => request(app).get(path).set('Host', 'ogc.test')
  const items = async (query: string) => {
    const res = await get(`${ITEMS}?${query}`)
    expect(res.status, JSON.stringify(res.body)).toBe(200)
    return JSON.parse(res.text) as Page
  }
  /** Every feature of a query, page by page through the next links. */
  async function allItems(query: string) {
    const features: Feature[] = []
    let next: string | undefined = `${ITEMS}?${query}`
    while (next) {
      const res = await get(next)
      expect(res.status).toBe(200)
      const page = JSON.parse(res.text) as Page
      features.push(...page.features)
      next = relOf(page.links, 'next') && local(relOf(page.links, 'next')!)
    }
    return features
  }
  const dbIds = async (where = '') =>
    (
      await db().knex.raw<{ rows: { id: number }[] }>(
        `SELECT s.id FROM stations s WHERE s.state <> 'retired' ${where} ORDER BY s.id`,
      )
    ).rows.map((r) => r.id)

  beforeAll(async () => {
    now = await seedTime(db())
    app = testApp(db(), { clock: () => now })
    planner = await signIn(app, 'planner')
  })

  it('landing page: links to the API definition, conformance and collections (/ats/core/root-op, root-success, api-definition-op)', async () => {
    const res = await get('/ogc')
    expect(res.status).toBe(200)
    expect(res.headers['content-type']).toMatch(/^application\/json/)
    const rels = Object.fromEntries(res.body.links.map((l: { rel: string }) => [l.rel, l]))
    for (const rel of ['self', 'service-desc', 'conformance', 'data'])
      expect(rels[rel]).toBeDefined()
    expect(rels['service-desc'].type).toBe('application/vnd.oai.openapi+json;version=3.0')

    const api = await get(local(rels['service-desc'].href))
    expect(api.status).toBe(200)
    const doc = JSON.parse(api.text)
    expect(doc.openapi).toMatch(/^3\.0\./)
    expect(doc.servers[0].url).toBe('/ogc')
    for (const path of ['/', '/conformance', '/collections', '/collections/{collectionId}'])
      expect(doc.paths[path]).toBeDefined()
    const limit = doc.paths['/collections/stations/items'].get.parameters.find(
      (p: { name: string }) => p.name === 'limit',
    )
    // /ats/core/fc-limit-definition
    expect(limit.schema).toMatchObject({ type: 'integer', minimum: 1, maximum: 10000, default: 10 })
    const city = doc.paths['/collections/stations/items'].get.parameters.find(
      (p: { name: string }) => p.name === 'city',
    )
    expect(city).toBeDefined()
  })

  it('conformance: the classes implemented (/ats/core/conformance-op, conformance-success)', async () => {
    const res = await get('/ogc/conformance')
    expect(res.status).toBe(200)
    expect(res.body.conformsTo).toEqual(CONFORMANCE)
    expect(res.body.conformsTo).toContain(
      'http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core',
    )
  })

  it('collections: stations for everyone, requests and gaps for planners (/ats/core/fc-md-op, fc-md-success, fc-md-links, fc-md-items)', async () => {
    const anon = await get('/ogc/collections')
    expect(anon.status).toBe(200)
    expect(anon.body.collections.map((c: { id: string }) => c.id)).toEqual(['stations'])
    expect(anon.headers.vary).toMatch(/Authorization/)
    const signed = await get('/ogc/collections').set('Cookie', planner)
    expect(signed.body.collections.map((c: { id: string }) => c.id)).toEqual([
      'stations',
      'station_requests',
      'coverage_gaps',
    ])
    expect(signed.headers['cache-control']).toMatch(/^private/)
    for (const c of signed.body.collections) {
      expect(c.itemType).toBe('feature')
      expect(c.links.filter((l: { rel: string }) => l.rel === 'items').length).toBeGreaterThan(0)
      expect(c.crs[0]).toBe(CRS84)
      expect(c.storageCrs).toBe(CRS84)
    }
  })

  it('a collection: the same description alone, with the stations’ extent (/ats/core/sfc-md-op, sfc-md-success, fc-md-extent)', async () => {
    const res = await get('/ogc/collections/stations')
    expect(res.status).toBe(200)
    const list = await get('/ogc/collections')
    expect(res.body).toEqual(list.body.collections[0])
    const { rows } = await db().knex.raw(
      `SELECT ST_XMin(e) AS w, ST_YMin(e) AS s, ST_XMax(e) AS e, ST_YMax(e) AS n
         FROM (SELECT ST_Extent(location::geometry) AS e FROM stations WHERE state <> 'retired') t`,
    )
    const [w, s, e, n] = res.body.extent.spatial.bbox[0]
    expect([w, s, e, n]).toEqual([rows[0].w, rows[0].s, rows[0].e, rows[0].n])
    expect(res.body.crs).toEqual([
      CRS84,
      EPSG4326,
      'http://www.opengis.net/def/crs/EPSG/0/4490',
      EPSG3857,
    ])
    expect((await get('/ogc/collections/nope')).status).toBe(404)
  })

  it('items: a GeoJSON page with counts, links and the default limit (/ats/core/fc-op, fc-response, fc-limit-response-1, /ats/geojson/content)', async () => {
    const res = await get(ITEMS)
    expect(res.status).toBe(200)
    expect(res.headers['content-type']).toMatch(/^application\/geo\+json/)
    expect(res.headers['content-crs']).toBe(`<${CRS84}>`)
    const page = JSON.parse(res.text) as Page
    expect(page.type).toBe('FeatureCollection')
    expect(page.numberReturned).toBe(10)
    expect(page.features).toHaveLength(10)
    expect(page.numberMatched).toBe((await dbIds()).length)
    expect(relOf(page.links, 'self')).toBeDefined()
    expect(relOf(page.links, 'next')).toBeDefined()
    expect(relOf(page.links, 'prev')).toBeUndefined()
    const f = page.features[0]!
    expect(f.type).toBe('Feature')
    expect(f.geometry.type).toBe('Point')
    expect(typeof f.properties.occupancy).toBe('number')
    expect(typeof f.properties.open_now).toBe('boolean')
    expect(f.properties).toHaveProperty('supply_drinking_water')
    expect(f.properties).not.toHaveProperty('id')
  })

  it('paging through next links returns every station once, in id order', async () => {
    const features = await allItems('limit=1000')
    expect(features.map((f) => f.id)).toEqual(await dbIds())
    const second = await items('limit=7&offset=7')
    expect(relOf(second.links, 'prev')).toMatch(/offset=0/)
  })

  it('each feature carries the station API’s live status, flattened', async () => {
    const page = await items('limit=50&offset=200')
    for (const f of page.features.slice(0, 10)) {
      const station = (await get(`/api/v1/stations/${f.id}`)).body
      const p = f.properties
      expect(f.geometry.coordinates).toEqual([station.location.lon, station.location.lat])
      expect(p.name).toBe(station.name)
      expect(p.amenities).toBe(station.amenities.join(','))
      expect(p.availability).toBe(station.status.availability)
      expect(p.occupancy).toBe(station.status.occupancy)
      expect(p.available_spaces).toBe(station.status.available_spaces)
      expect(p.open_now).toBe(station.status.open_now)
      expect(p.stale).toBe(station.status.stale)
      expect(p.closes_at).toBe(station.status.closes_at)
      expect(p.reported_at).toBe(station.status.reported_at)
      for (const [item, level] of Object.entries(
        station.status.supplies as Record<string, { level: number; low: boolean }>,
      )) {
        expect(p[`supply_${item}`]).toBe(level.level)
        expect(p[`supply_${item}_low`]).toBe(level.low)
      }
    }
  })

  it('filters on availability, open_now and stale select exactly the stations the live status says (the SQL and deriveStatus agree)', async () => {
    const all = (await items('limit=10000')).features
    for (const availability of AVAILABILITIES) {
      const expected = all
        .filter((f) => f.properties.availability === availability)
        .map((f) => f.id)
      const got = (await items(`limit=10000&availability=${availability}`)).features.map(
        (f) => f.id,
      )
      expect(got, availability).toEqual(expected)
    }
    for (const key of ['open_now', 'stale'])
      for (const value of [true, false]) {
        const expected = all.filter((f) => f.properties[key] === value).map((f) => f.id)
        const page = await items(`limit=10000&${key}=${value}`)
        expect(
          page.features.map((f) => f.id),
          `${key}=${value}`,
        ).toEqual(expected)
        expect(page.numberMatched).toBe(expected.length)
      }
  })

  it('property filters combine with each other and with bbox (/ats/core/fc-bbox-response, /rec/core/fc-filters)', async () => {
    const page = await items(`limit=10000&city=${encodeURIComponent('长沙市')}&availability=open`)
    expect(page.numberMatched).toBeGreaterThan(0)
    for (const f of page.features) {
      expect(f.properties.city).toBe('长沙市')
      expect(f.properties.availability).toBe('open')
    }
    const bbox = [112.9, 28.1, 113.05, 28.25]
    const inBox = await items(`limit=10000&bbox=${bbox.join(',')}`)
    expect(inBox.features.map((f) => f.id)).toEqual(
      await dbIds(`AND s.location::geometry && ST_MakeEnvelope(${bbox.join(',')}, 4326)`),
    )
    for (const f of inBox.features) {
      const [x, y] = f.geometry.coordinates as [number, number]
      expect(x >= bbox[0]! && x <= bbox[2]! && y >= bbox[1]! && y <= bbox[3]!).toBe(true)
    }
    // six numbers: the heights are not used
    const six = await items(`limit=10000&bbox=112.9,28.1,0,113.05,28.25,100`)
    expect(six.numberMatched).toBe(inBox.numberMatched)
  })

  it('datetime selects by the last report: instants and open or closed intervals (/ats/core/fc-time-definition, fc-time-response)', async () => {
    const since = new Date(now.getTime() - 30 * 60_000).toISOString()
    const open = await items(`limit=10000&datetime=${since}/..`)
    const { rows } = await db().knex.raw(
      `SELECT count(*)::int AS n FROM stations s JOIN station_status st ON st.station_id = s.id
        WHERE s.state <> 'retired' AND st.reported_at >= ?`,
      [since],
    )
    expect(open.numberMatched).toBe(rows[0].n)
    for (const f of open.features)
      expect(new Date(f.properties.reported_at as string).getTime()).toBeGreaterThanOrEqual(
        new Date(since).getTime(),
      )
    const before = await items(`limit=1&datetime=../${since}`)
    const blank = await items(`limit=1&datetime=/${since}`)
    expect(blank.numberMatched).toBe(before.numberMatched)
    const one = open.features[0]!.properties.reported_at as string
    const instant = await items(`limit=10000&datetime=${one}`)
    expect(instant.features.every((f) => f.properties.reported_at === one)).toBe(true)
    expect(instant.numberMatched).toBeGreaterThan(0)
  })

  it('one feature by id, with self and collection links; 404 for none (/ats/core/f-op, f-success)', async () => {
    const [first] = (await items('limit=1&offset=3')).features
    const res = await get(`${ITEMS}/${first!.id}`)
    expect(res.status).toBe(200)
    expect(res.headers['content-type']).toMatch(/^application\/geo\+json/)
    const f = JSON.parse(res.text) as Feature
    expect(f.id).toBe(first!.id)
    expect(f.properties).toEqual(first!.properties)
    expect(relOf(f.links, 'self')).toMatch(new RegExp(`/items/${first!.id}$`))
    expect(relOf(f.links, 'collection')).toMatch(/\/collections\/stations$/)
    for (const id of ['999999999', 'abc']) expect((await get(`${ITEMS}/${id}`)).status).toBe(404)
  })

  it('bad or unknown parameters are a 400 problem (/req/core/query-param-invalid, query-param-unknown)', async () => {
    for (const query of [
      'limit=0',
      'limit=10001',
      'limit=abc',
      'offset=-1',
      'bbox=1,2,3',
      'bbox=113,28,112,29',
      'bbox=200,28,201,29',
      'datetime=yesterday',
      'datetime=2026-12-05T00:00:00Z/2026-12-04T00:00:00Z',
      'crs=EPSG:9999',
      'bbox-crs=http://example.org/crs',
      'availability=busy',
      'open_now=maybe',
      'f=xml',
      'colour=red',
      'city=a&city=b',
    ]) {
      const res = await get(`${ITEMS}?${query}`)
      expect(res.status, query).toBe(400)
      expect(res.headers['content-type'], query).toMatch(/^application\/problem\+json/)
    }
    expect((await get('/ogc/conformance?foo=1')).status).toBe(400)
  })

  it('CRS: EPSG:4326 answers latitude first, 3857 in metres, with Content-Crs; bbox-crs reads the box in that CRS (Part 2 /ats/crs/*)', async () => {
    const base = await items('limit=5&offset=100')
    const lat = await get(`${ITEMS}?limit=5&offset=100&crs=${encodeURIComponent(EPSG4326)}`)
    expect(lat.headers['content-crs']).toBe(`<${EPSG4326}>`)
    const latFirst = JSON.parse(lat.text) as Page
    latFirst.features.forEach((f, i) =>
      expect(f.geometry.coordinates).toEqual([...base.features[i]!.geometry.coordinates].reverse()),
    )
    const merc = JSON.parse((await get(`${ITEMS}?limit=5&offset=100&crs=[EPSG:3857]`)).text) as Page
    merc.features.forEach((f, i) => {
      const [lon, la] = base.features[i]!.geometry.coordinates as [number, number]
      const x = (lon * Math.PI * 6378137) / 180
      const y = 6378137 * Math.log(Math.tan(Math.PI / 4 + (la * Math.PI) / 360))
      expect(f.geometry.coordinates[0]).toBeCloseTo(x, 2)
      expect(f.geometry.coordinates[1]).toBeCloseTo(y, 2)
    })

    const box = await items('limit=10000&bbox=112.9,28.1,113.05,28.25')
    const swapped = await items(
      `limit=10000&bbox=28.1,112.9,28.25,113.05&bbox-crs=${encodeURIComponent(EPSG4326)}`,
    )
    expect(swapped.features.map((f) => f.id)).toEqual(box.features.map((f) => f.id))
    const [x1, y1] = merc.features[0]!.geometry.coordinates as [number, number]
    const around = await items(
      `limit=10&bbox=${x1 - 1},${y1 - 1},${x1 + 1},${y1 + 1}&bbox-crs=${encodeURIComponent(EPSG3857)}`,
    )
    expect(around.features.map((f) => f.id)).toContain(merc.features[0]!.id)
  })

  it('HTML for people: f=html or a browser’s Accept (/ats/html/content)', async () => {
    for (const res of [
      await get(`${ITEMS}?f=html&limit=3`),
      await get(`${ITEMS}?limit=3`).set('Accept', 'text/html,application/xhtml+xml,*/*;q=0.8'),
    ]) {
      expect(res.status).toBe(200)
      expect(res.headers['content-type']).toMatch(/^text\/html/)
      expect(res.text).toContain('<table>')
      expect(res.text).toContain('<html lang="zh-CN">')
    }
    for (const path of [
      '/ogc',
      '/ogc/conformance',
      '/ogc/collections',
      '/ogc/collections/stations',
      '/ogc/api',
      `${ITEMS}/1`,
    ]) {
      const res = await get(`${path}?f=html`)
      expect(res.status, path).toBe(200)
      expect(res.headers['content-type'], path).toMatch(/^text\/html/)
    }
    // names are escaped, never markup
    expect((await get(`${ITEMS}?f=html&limit=3`)).text).not.toMatch(/<script/i)
  })

  it('the JSON schema of the properties names each column and its type (describedby)', async () => {
    const res = await get('/ogc/collections/stations/schema')
    expect(res.status).toBe(200)
    expect(res.headers['content-type']).toMatch(/^application\/schema\+json/)
    const schema = JSON.parse(res.text)
    expect(schema.properties.occupancy.type).toBe('integer')
    expect(schema.properties.open_now.type).toBe('boolean')
    expect(schema.properties.reported_at.anyOf ?? [schema.properties.reported_at]).toEqual(
      expect.arrayContaining([expect.objectContaining({ format: 'date-time' })]),
    )
    const q = JSON.parse((await get('/ogc/collections/stations/queryables')).text)
    expect(Object.keys(q.properties).sort()).toEqual([
      'availability',
      'city',
      'code',
      'district',
      'open_now',
      'operator',
      'province',
      'stale',
      'state',
    ])
  })

  it('station requests and gap cells need the plan scope', async () => {
    const requests = '/ogc/collections/station_requests/items'
    expect((await get(requests)).status).toBe(401)
    const manager = await signIn(app, 'manager001')
    expect((await get(requests).set('Cookie', manager)).status).toBe(403)

    await request(app)
      .post('/api/v1/station-requests')
      .send({ location: { lon: 112.95, lat: 28.2 }, note: 'OGC 测试', amenities: ['toilet'] })
      .expect(201)
    const page = JSON.parse((await get(`${requests}?limit=1000`).set('Cookie', planner)).text)
    expect(page.numberMatched).toBeGreaterThan(0)
    const mine = page.features.find((f: Feature) => f.properties.note === 'OGC 测试')
    expect(mine.geometry.coordinates).toEqual([112.95, 28.2])
    expect(mine.properties.amenities).toBe('toilet')
    expect((await get(`${requests}/${mine.id}`).set('Cookie', planner)).status).toBe(200)

    const gaps = '/ogc/collections/coverage_gaps/items'
    // without a bbox: the stations' extent, in cells large enough to stay within the limit
    const whole = await get(`${gaps}?limit=1`).set('Cookie', planner)
    expect(whole.status).toBe(200)
    expect(JSON.parse(whole.text).numberMatched).toBeGreaterThan(0)
    const res = await get(`${gaps}?bbox=112.8,28.05,113.1,28.35&limit=5`).set('Cookie', planner)
    expect(res.status).toBe(200)
    const cells = JSON.parse(res.text) as Page
    expect(cells.numberReturned).toBeLessThanOrEqual(5)
    expect(cells.features.every((f) => f.properties.gap === true)).toBe(true)
    expect(cells.features[0]!.geometry.type).toBe('Polygon')
    const one = await get(local(relOf(cells.features[0]!.links, 'self')!)).set('Cookie', planner)
    expect(one.status).toBe(200)
    expect(JSON.parse(one.text).properties).toEqual(cells.features[0]!.properties)
    expect((await get(`${gaps}?bbox=100,20,120,40`).set('Cookie', planner)).status).toBe(400)
  })

  it('conditional requests and caching headers', async () => {
    const first = await get(`${ITEMS}?limit=5`)
    expect(first.headers['cache-control']).toBe('public, max-age=15')
    expect(first.headers.etag).toBeDefined()
    expect(first.headers.vary).toMatch(/Accept/)
    const again = await get(`${ITEMS}?limit=5`).set('If-None-Match', first.headers.etag!)
    expect(again.status).toBe(304)
    const zipped = await get(`${ITEMS}?limit=500`).set('Accept-Encoding', 'gzip')
    expect(zipped.headers['content-encoding']).toBe('gzip')
    expect(zipped.headers.vary).toMatch(/Accept-Encoding/)
  })
})
