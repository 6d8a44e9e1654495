import { beforeAll, describe, expect, it } from 'vitest'
import request from 'supertest'
import type { App } from '../app.ts'
import { describeEachBackend } from '../../../test/db.ts'
import { signIn, testApp, testConfig } from '../../../test/app.ts'
import { ConfigError, loadConfig } from '../config.ts'

const ANY_SITE = 'https://maps.example.net'
const TRUSTED = 'https://ops.union.example'
const LIST = '/api/v1/stations?bbox=112.8,28.0,113.2,28.4&limit=1'

/** The CORS headers of an answer, by lower-case name. */
const corsHeaders = (res: request.Response) =>
  Object.fromEntries(
    Object.entries(res.headers).filter(([k]) => k.startsWith('access-control-')),
  ) as Record<string, string>

const varies = (res: request.Response) =>
  (res.headers.vary ?? '').split(/\s*,\s*/).includes('Origin')

const preflight = (app: App, path: string, origin: string, method: string, headers = '') => {
  const req = request(app)
    .options(path)
    .set('Origin', origin)
    .set('Access-Control-Request-Method', method)
  return headers ? req.set('Access-Control-Request-Headers', headers) : req
}

describe('CORS configuration', () => {
  it('defaults to any origin for public reads and none for signed-in use', () => {
    const config = loadConfig({})
    expect(config.CORS_PUBLIC_ORIGINS).toBe('*')
    expect(config.TRUSTED_ORIGINS).toEqual([])
  })

  it('takes a list of origins, and an empty value as none', () => {
    expect(
      loadConfig({ CORS_PUBLIC_ORIGINS: 'https://a.example, http://b.example:8080' })
        .CORS_PUBLIC_ORIGINS,
    ).toEqual(['https://a.example', 'http://b.example:8080'])
    expect(loadConfig({ CORS_PUBLIC_ORIGINS: '' }).CORS_PUBLIC_ORIGINS).toEqual([])
  })

  it('names a value that is not an origin', () => {
    for (const [value, bad] of [
      ['https://a.example/maps', 'https://a.example/maps'],
      ['https://a.example,*', '*'],
      ['a.example', 'a.example'],
    ]) {
      expect(() => loadConfig({ CORS_PUBLIC_ORIGINS: value })).toThrow(ConfigError)
      expect(() => loadConfig({ CORS_PUBLIC_ORIGINS: value })).toThrow(
        `CORS_PUBLIC_ORIGINS: ${bad} is not an origin like https://example.org`,
      )
    }
    expect(() => loadConfig({ TRUSTED_ORIGINS: 'https://ops.example/' })).toThrow(
      'TRUSTED_ORIGINS: https://ops.example/ is not an origin like https://example.org',
    )
  })
})

describeEachBackend('CORS', (db) => {
  let app: App
  let trusting: App
  let listing: App
  let stationId: number

  beforeAll(async () => {
    app = testApp(db())
    trusting = testApp(db(), { config: testConfig({ TRUSTED_ORIGINS: TRUSTED }) })
    listing = testApp(db(), {
      config: testConfig({ CORS_PUBLIC_ORIGINS: `${ANY_SITE},https://b.example` }),
    })
    const [row] = await db().knex('stations').whereNot('state', 'retired').select('id').limit(1)
    stationId = row!.id
  })

  it('lets any site read the public data, without credentials', async () => {
    for (const path of [
      LIST,
      `/api/v1/stations/${stationId}`,
      '/api/v1/tiles/stations.json',
      '/api/v1/tiles/stations/8/209/107.mvt',
      '/api/v1/openapi.json',
    ]) {
      const res = await request(app).get(path).set('Origin', ANY_SITE)
      expect(res.status, path).toBe(200)
      expect(corsHeaders(res), path).toEqual({
        'access-control-allow-origin': '*',
        'access-control-expose-headers': 'ETag,Link,Location,Retry-After,Content-Crs',
      })
      // one answer for every origin
      expect(varies(res), path).toBe(false)
    }
    const head = await request(app).head(LIST).set('Origin', ANY_SITE)
    expect(head.headers['access-control-allow-origin']).toBe('*')
    // the paths routers mount later (OGC API, downloads) are covered, whatever they answer
    for (const path of ['/ogc', '/ogc/collections/stations/items', '/api/v1/downloads/x']) {
      const res = await request(app).get(path).set('Origin', ANY_SITE)
      expect(res.headers['access-control-allow-origin'], path).toBe('*')
    }
  })

  it('gives no CORS to signed-in routes, writes or other paths by default', async () => {
    const cookie = await signIn(app, 'admin')
    for (const res of [
      await request(app).get('/api/v1/auth/me').set('Cookie', cookie).set('Origin', ANY_SITE),
      await request(app).get('/api/v1/meta').set('Origin', ANY_SITE),
      await request(app).get('/api/v1/alerts').set('Cookie', cookie).set('Origin', ANY_SITE),
      await request(app).get('/api/v1/stationsfoo').set('Origin', ANY_SITE),
      await request(app).get('/healthz').set('Origin', ANY_SITE),
      await request(app)
        .post('/api/v1/station-requests')
        .set('Origin', ANY_SITE)
        .send({ location: { lon: 112.95, lat: 28.2 } }),
      await request(app)
        .post(`/api/v1/stations/${stationId}/reports`)
        .set('Origin', ANY_SITE)
        .send({}),
    ]) {
      const asked = (res as unknown as { req: { method: string; path: string } }).req
      expect(corsHeaders(res), `${asked.method} ${asked.path}`).toEqual({})
      expect(varies(res)).toBe(false)
    }
    // the same request from our own pages works as before
    const own = await request(app)
      .get('/api/v1/auth/me')
      .set('Cookie', cookie)
      .set('Host', 'yizhan.example')
      .set('Origin', 'http://yizhan.example')
    expect(own.status).toBe(200)
    expect(own.body.username).toBe('admin')
  })

  it('lets a trusted origin use the API signed in, and no one else', async () => {
    const cookie = await signIn(trusting, 'admin')
    const me = await request(trusting)
      .get('/api/v1/auth/me')
      .set('Cookie', cookie)
      .set('Origin', TRUSTED)
    expect(me.status).toBe(200)
    expect(me.body.username).toBe('admin')
    expect(corsHeaders(me)).toEqual({
      'access-control-allow-origin': TRUSTED,
      'access-control-allow-credentials': 'true',
      'access-control-expose-headers': 'ETag,Link,Location,Retry-After,Content-Crs',
    })
    expect(varies(me)).toBe(true)

    // public data too, with the cookie, so that a signed-in page may read it
    const stations = await request(trusting).get(LIST).set('Origin', TRUSTED)
    expect(stations.headers['access-control-allow-origin']).toBe(TRUSTED)
    expect(stations.headers['access-control-allow-credentials']).toBe('true')
    expect(varies(stations)).toBe(true)
    // ...while any other site still reads it without, and caches keep the two apart
    const other = await request(trusting).get(LIST).set('Origin', ANY_SITE)
    expect(corsHeaders(other)['access-control-allow-origin']).toBe('*')
    expect(corsHeaders(other)['access-control-allow-credentials']).toBeUndefined()
    expect(varies(other)).toBe(true)

    // an untrusted origin gets nothing, and the answer is what it was
    const untrusted = await request(trusting)
      .get('/api/v1/auth/me')
      .set('Cookie', cookie)
      .set('Origin', 'https://evil.example')
    expect(untrusted.status).toBe(200)
    expect(corsHeaders(untrusted)).toEqual({})
    expect(varies(untrusted)).toBe(true)
    // nor does a look-alike origin
    const lookalike = await request(trusting)
      .get('/api/v1/auth/me')
      .set('Cookie', cookie)
      .set('Origin', `${TRUSTED}.evil.example`)
    expect(corsHeaders(lookalike)).toEqual({})
  })

  it('answers preflights with 204 and what may be sent, never a 405', async () => {
    const pub = await preflight(
      app,
      `/api/v1/stations/${stationId}`,
      ANY_SITE,
      'GET',
      'authorization,if-none-match',
    )
    expect(pub.status).toBe(204)
    expect(corsHeaders(pub)).toEqual({
      'access-control-allow-origin': '*',
      'access-control-allow-methods': 'GET,HEAD',
      'access-control-allow-headers': 'Authorization,If-None-Match',
      'access-control-max-age': '3600',
      'access-control-expose-headers': 'ETag,Link,Location,Retry-After,Content-Crs',
    })
    expect((await preflight(app, '/api/v1/tiles/stations.json', ANY_SITE, 'GET')).status).toBe(204)

    const write = await preflight(
      trusting,
      `/api/v1/stations/${stationId}/reports`,
      TRUSTED,
      'POST',
      'content-type,if-match,idempotency-key',
    )
    expect(write.status).toBe(204)
    expect(corsHeaders(write)).toEqual({
      'access-control-allow-origin': TRUSTED,
      'access-control-allow-credentials': 'true',
      'access-control-allow-methods': 'GET,HEAD,POST,PUT,PATCH,DELETE',
      'access-control-allow-headers':
        'Authorization,Content-Type,If-Match,If-None-Match,Idempotency-Key',
      'access-control-max-age': '3600',
      'access-control-expose-headers': 'ETag,Link,Location,Retry-After,Content-Crs',
    })

    // a write from any other site, or to a signed-in route, is not allowed: no CORS headers
    for (const [target, path, origin, method] of [
      [app, `/api/v1/stations/${stationId}/reports`, ANY_SITE, 'POST'],
      [app, '/api/v1/auth/me', ANY_SITE, 'GET'],
      [trusting, `/api/v1/stations/${stationId}/reports`, 'https://evil.example', 'POST'],
    ] as const) {
      const res = await preflight(target, path, origin, method)
      expect(corsHeaders(res), `${origin} ${method} ${path}`).toEqual({})
    }
  })

  it('with CORS_PUBLIC_ORIGINS a list, lets those sites read public data and no other', async () => {
    const listed = await request(listing).get(LIST).set('Origin', ANY_SITE)
    expect(corsHeaders(listed)).toEqual({
      'access-control-allow-origin': ANY_SITE,
      'access-control-expose-headers': 'ETag,Link,Location,Retry-After,Content-Crs',
    })
    expect(varies(listed)).toBe(true)
    const pre = await preflight(listing, '/api/v1/tiles/stations.json', 'https://b.example', 'GET')
    expect(pre.status).toBe(204)
    expect(pre.headers['access-control-allow-origin']).toBe('https://b.example')
    expect(pre.headers['access-control-allow-credentials']).toBeUndefined()

    const other = await request(listing).get(LIST).set('Origin', 'https://c.example')
    expect(other.status).toBe(200)
    expect(corsHeaders(other)).toEqual({})
    expect(varies(other)).toBe(true)
    // signed-in routes are not opened by the public list
    const me = await request(listing).get('/api/v1/auth/me').set('Origin', ANY_SITE)
    expect(corsHeaders(me)).toEqual({})

    const off = testApp(db(), { config: testConfig({ CORS_PUBLIC_ORIGINS: '' }) })
    const none = await request(off).get(LIST).set('Origin', ANY_SITE)
    expect(none.status).toBe(200)
    expect(corsHeaders(none)).toEqual({})
    expect(corsHeaders(await preflight(off, '/api/v1/stations', ANY_SITE, 'GET'))).toEqual({})
  })
})
