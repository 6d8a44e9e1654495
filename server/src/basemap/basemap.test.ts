import fs from 'node:fs'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import request from 'supertest'
import type { App } from '../app.ts'
import { FetchSource, PMTiles } from 'pmtiles'
import { describeEachBackend } from '../../../test/db.ts'
import { testApp, testConfig } from '../../../test/app.ts'
import { ConfigError, loadConfig } from '../config.ts'

const FIXTURE = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../../test/fixtures/changsha-test.pmtiles',
)
const bytes = fs.readFileSync(FIXTURE)
const pmtilesConfig = () => testConfig({ BASEMAP: 'pmtiles', PMTILES_FILE: FIXTURE })

/** The answer as sent (never decoded), for any headers. */
function get(base: string, url: string, headers: Record<string, string> = {}) {
  return new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }>(
    (resolve, reject) => {
      http
        .get(`${base}${url}`, { headers }, (res) => {
          const chunks: Buffer[] = []
          res.on('data', (c: Buffer) => chunks.push(c))
          res.on('end', () =>
            resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }),
          )
        })
        .on('error', reject)
    },
  )
}

describe('basemap configuration', () => {
  const load = (env: Record<string, string>) => () => loadConfig(env)

  it('is offline by default, and a style when only MAP_STYLE_URL is set (as before)', () => {
    expect(loadConfig({}).BASEMAP).toBe('offline')
    expect(loadConfig({ MAP_STYLE_URL: 'https://example.org/style.json' }).BASEMAP).toBe('style')
    expect(
      loadConfig({ BASEMAP: 'offline', MAP_STYLE_URL: 'https://example.org/style.json' }).BASEMAP,
    ).toBe('offline')
  })

  it('refuses a preset without what it needs, saying what is missing', () => {
    expect(load({ BASEMAP: 'tianditu' })).toThrow(ConfigError)
    expect(load({ BASEMAP: 'tianditu' })).toThrow('BASEMAP: tianditu needs TIANDITU_KEY')
    expect(load({ BASEMAP: 'pmtiles' })).toThrow('BASEMAP: pmtiles needs PMTILES_FILE')
    expect(load({ BASEMAP: 'style' })).toThrow('BASEMAP: style needs MAP_STYLE_URL')
    expect(load({ BASEMAP: 'pmtiles', PMTILES_FILE: '/nonexistent/x.pmtiles' })).toThrow(
      'PMTILES_FILE /nonexistent/x.pmtiles cannot be read',
    )
  })

  it('refuses malformed values', () => {
    expect(load({ BASEMAP: 'google' })).toThrow(/BASEMAP/)
    expect(load({ BASEMAP: 'tianditu', TIANDITU_KEY: 'not a key!' })).toThrow(/TIANDITU_KEY/)
    expect(load({ BASEMAP: 'pmtiles', PMTILES_FILE: FIXTURE + '.mbtiles' })).toThrow(
      /PMTILES_FILE: must name a \.pmtiles file/,
    )
    expect(load({ OSM_TILE_URL: 'https://tiles.example.org/{z}/{x}.png' })).toThrow(
      /OSM_TILE_URL: must be an http\(s\) URL with \{z\}, \{x\} and \{y\}/,
    )
    expect(load({ MAP_STYLE_URL: 'ftp://example.org/style.json' })).toThrow(/MAP_STYLE_URL/)
  })
})

describeEachBackend('basemap', (db) => {
  const meta = async (env: Record<string, string>) =>
    (await request(testApp(db(), { config: testConfig(env) })).get('/api/v1/meta')).body

  it('meta says which basemap the map draws, from the configuration', async () => {
    expect(await meta({})).toMatchObject({ basemap: { kind: 'offline' }, mapStyleUrl: null })
    const key = '0123456789abcdef0123456789abcdef'
    expect((await meta({ BASEMAP: 'tianditu', TIANDITU_KEY: key })).basemap).toEqual({
      kind: 'tianditu',
      key,
    })
    expect((await meta({ BASEMAP: 'osm' })).basemap).toEqual({
      kind: 'osm',
      tiles: 'https://tile.openstreetmap.org/{z}/{x}/{y}.png',
      attribution: '© OpenStreetMap contributors',
    })
    const url = 'https://example.org/style.json'
    expect(await meta({ MAP_STYLE_URL: url })).toMatchObject({
      basemap: { kind: 'style', url },
      mapStyleUrl: url,
    })
    const pm = await meta({ BASEMAP: 'pmtiles', PMTILES_FILE: FIXTURE })
    expect(pm.basemap.kind).toBe('pmtiles')
    expect(pm.basemap.url).toMatch(/^\/basemap\/changsha-test\.pmtiles\?v=[0-9a-z]+-[0-9a-z]+$/)
    expect(pm.mapStyleUrl).toBeNull()
  })

  it('lets the page load a configured tile server (CSP)', async () => {
    const app = testApp(db(), {
      config: testConfig({
        BASEMAP: 'osm',
        OSM_TILE_URL: 'http://tiles.local:8080/{z}/{x}/{y}.png',
      }),
    })
    const res = await request(app).get('/api/v1/meta')
    expect(res.headers['content-security-policy']).toContain('http://tiles.local:8080')
  })

  it('labels each city and district where its stations are', async () => {
    const res = await request(testApp(db())).get('/api/v1/stations/labels')
    expect(res.status).toBe(200)
    expect(res.headers['cache-control']).toBe('public, max-age=300')
    const features = res.body.features as {
      properties: { level: string; name: string; city: string; stations: number }
      geometry: { type: string; coordinates: [number, number] }
    }[]
    const changsha = features.find((f) => f.properties.name === '长沙市')!
    expect(changsha.properties).toMatchObject({ level: 'city', city: '长沙市' })
    const [lon, lat] = changsha.geometry.coordinates
    expect(Math.abs(lon - 112.94)).toBeLessThan(0.15)
    expect(Math.abs(lat - 28.23)).toBeLessThan(0.15)
    expect(features.filter((f) => f.properties.level === 'city')).toHaveLength(14)
    const furong = features.find((f) => f.properties.name === '芙蓉区')!
    expect(furong.properties).toMatchObject({ level: 'district', city: '长沙市' })
    expect(furong.properties.stations).toBeGreaterThan(0)
  })

  describe('the PMTiles file', () => {
    let base: string
    let server: http.Server
    let app: App
    let url: string
    beforeAll(async () => {
      app = testApp(db(), { config: pmtilesConfig() })
      url = (await request(app).get('/api/v1/meta')).body.basemap.url
      server = http.createServer(app).listen(0, '127.0.0.1')
      await new Promise((resolve) => server.once('listening', resolve))
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    })
    afterAll(() => new Promise((resolve) => server.close(resolve)))

    it('answers a range with 206 and exactly those bytes, never compressed', async () => {
      const res = await get(base, url, { range: 'bytes=0-126', 'accept-encoding': 'br, gzip' })
      expect(res.status).toBe(206)
      expect(res.headers['content-range']).toBe(`bytes 0-126/${bytes.length}`)
      expect(res.headers['accept-ranges']).toBe('bytes')
      expect(res.headers['content-encoding']).toBeUndefined()
      expect(res.body.equals(bytes.subarray(0, 127))).toBe(true)
      expect(res.body.subarray(0, 7).toString()).toBe('PMTiles')
      expect(res.headers.etag).toBeTruthy()
      // the versioned URL never changes content
      expect(res.headers['cache-control']).toBe('public, max-age=31536000, immutable, no-transform')
      const tail = await get(base, url, { range: `bytes=${bytes.length - 100}-` })
      expect(tail.status).toBe(206)
      expect(tail.body.equals(bytes.subarray(bytes.length - 100))).toBe(true)
    })

    it('answers the whole file with 200, and a range past its end with 416', async () => {
      const whole = await get(base, url, { 'accept-encoding': 'br, gzip' })
      expect(whole.status).toBe(200)
      expect(whole.headers['content-encoding']).toBeUndefined()
      expect(whole.body.equals(bytes)).toBe(true)
      const bad = await get(base, url, { range: `bytes=${bytes.length + 10}-${bytes.length + 20}` })
      expect(bad.status).toBe(416)
      expect(bad.headers['content-range']).toBe(`bytes */${bytes.length}`)
      expect(bad.headers['content-type']).toMatch(/application\/problem\+json/)
    })

    it('sends the whole file when If-Range names another version', async () => {
      const res = await get(base, url, { range: 'bytes=0-9', 'if-range': '"someone-else"' })
      expect(res.status).toBe(200)
      expect(res.body.length).toBe(bytes.length)
      const etag = (await get(base, url, { range: 'bytes=0-9' })).headers.etag!
      const same = await get(base, url, { range: 'bytes=0-9', 'if-range': etag })
      expect(same.status).toBe(206)
      expect(same.body.length).toBe(10)
    })

    it('revalidates an unversioned URL and serves no other file', async () => {
      const res = await get(base, '/basemap/changsha-test.pmtiles', { range: 'bytes=0-9' })
      expect(res.status).toBe(206)
      expect(res.headers['cache-control']).toBe('public, max-age=0, must-revalidate, no-transform')
      expect((await get(base, '/basemap/other.pmtiles')).status).toBe(404)
      expect((await get(base, '/basemap/..%2Fpackage.json')).status).toBe(404)
    })

    it('reads as a PMTiles archive over HTTP, with the streets in it', async () => {
      const archive = new PMTiles(new FetchSource(`${base}${url}`))
      const header = await archive.getHeader()
      expect([header.minZoom, header.maxZoom]).toEqual([10, 15])
      // central Changsha at z14: the middle of the extract
      const tile = await archive.getZxy(14, 13334, 6853)
      expect(tile?.data.byteLength).toBeGreaterThan(100)
    })
  })

  it('is not served when another basemap is configured', async () => {
    const res = await request(testApp(db())).get('/basemap/changsha-test.pmtiles')
    expect(res.status).toBe(404)
  })
})
