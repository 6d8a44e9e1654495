import http from 'node:http'
import zlib from 'node:zlib'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { describeEachBackend } from '../../../test/db.ts'
import { seedTime, testApp, testConfig } from '../../../test/app.ts'
import { startServer } from '../../../test/server.ts'
import { StationIndex } from '../stations/stationIndex.ts'
import { stationHotRoutes } from '../stations/routes.ts'
import { statusRules } from '../stations/status.ts'
import { hotFirst } from './hot.ts'

interface Answer {
  status: number
  headers: http.IncomingHttpHeaders
  body: Buffer
}

/** One request over a real socket, the body as sent (still compressed, if it was). */
function get(
  server: http.Server,
  path: string,
  headers: Record<string, string> = {},
  method = 'GET',
): Promise<Answer> {
  const { port } = server.address() as AddressInfo
  return new Promise((resolve, reject) => {
    const req = http.request({ port, path, method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () =>
        resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }),
      )
    })
    req.on('error', reject)
    req.end()
  })
}

const listen = (listener: http.RequestListener) =>
  new Promise<http.Server>((resolve) => {
    const server = http.createServer(listener).listen(0, '127.0.0.1', () => resolve(server))
  })

const close = (server?: http.Server) =>
  new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()))

/** The headers, less those that differ between any two answers. */
const comparable = (h: http.IncomingHttpHeaders) => {
  const { date: _d, connection: _c, 'keep-alive': _k, ...same } = h
  return same
}

describeEachBackend('the hot reads ahead of Express', (db) => {
  let index: StationIndex
  let seeded: Date
  let hot: http.Server
  let fellBack: string[]
  const nearest = '/api/v1/stations/nearest?lon=112.98&lat=28.19&limit=5'
  const bbox = '/api/v1/stations?bbox=112.9,28.1,113.1,28.3&limit=20'

  beforeAll(async () => {
    seeded = await seedTime(db())
    index = new StationIndex(db().knex)
    await index.load()
    fellBack = []
    const rules = statusRules(30, () => seeded)
    // the hot routes alone: anything they do not answer shows up here
    hot = await listen(
      hotFirst(
        stationHotRoutes('/api/v1', index, db().knex, rules),
        () => [],
        (req, res) => {
          fellBack.push(req.url!)
          res.statusCode = 599
          res.end()
        },
        (err) => {
          throw err
        },
      ),
    )
  })
  afterAll(() => close(hot))

  it('answers valid reads itself and leaves everything else to Express', async () => {
    expect((await get(hot, nearest)).status).toBe(200)
    expect((await get(hot, bbox)).status).toBe(200)
    expect((await get(hot, nearest, {}, 'HEAD')).status).toBe(200)
    expect(fellBack).toEqual([])
    const others = [
      '/api/v1/stations/nearest?lon=200&lat=28.19', // invalid: Express gives the problem
      '/api/v1/stations/nearest?lon=112.98&lat=28.19&amenities=%00', // NUL
      '/api/v1/stations/nearest/?lon=112.98&lat=28.19', // Express's other spellings
      '/API/v1/stations/nearest?lon=112.98&lat=28.19',
      '/api/v1/stations/12',
      '/api/v1/stations?bbox=1,2',
    ]
    for (const path of others) expect((await get(hot, path)).status).toBe(599)
    expect((await get(hot, nearest, {}, 'POST')).status).toBe(599)
    expect(fellBack).toEqual([...others, nearest])
  })

  describe('with the app around them', () => {
    let app: http.Server
    beforeAll(async () => {
      app = await listen(
        testApp(db(), {
          stations: index,
          clock: () => seeded,
          config: testConfig({ CORS_PUBLIC_ORIGINS: '*' }),
        }),
      )
    })
    afterAll(() => close(app))

    // Express answers the same route spelled with a trailing slash: the two must not differ.
    const viaExpress = (path: string) => path.replace('?', '/?')

    it.each([
      ['nearest', nearest, {}],
      ['nearest from another origin', nearest, { origin: 'https://gis.example.org' }],
      ['nearest, gzip', nearest, { 'accept-encoding': 'gzip' }],
      ['nearest, brotli', nearest, { 'accept-encoding': 'br, gzip' }],
      ['the bbox listing', bbox, { origin: 'https://gis.example.org' }],
    ])('gives %s as Express does', async (_name, path, headers) => {
      const fast = await get(app, path, headers)
      const slow = await get(app, viaExpress(path), headers)
      expect(fast.status).toBe(200)
      expect(comparable(fast.headers)).toEqual(comparable(slow.headers))
      expect(fast.body.equals(slow.body)).toBe(true)
      const encoding = fast.headers['content-encoding']
      const text =
        encoding === 'gzip'
          ? zlib.gunzipSync(fast.body)
          : encoding === 'br'
            ? zlib.brotliDecompressSync(fast.body)
            : fast.body
      expect(JSON.parse(text.toString()).query ?? JSON.parse(text.toString()).type).toBeTruthy()
    })

    it('answers a conditional GET of the listing with 304, and HEAD without a body', async () => {
      const first = await get(app, bbox)
      expect(first.headers.etag).toMatch(/^W\//)
      const again = await get(app, bbox, { 'if-none-match': first.headers.etag! })
      const againSlow = await get(app, viaExpress(bbox), { 'if-none-match': first.headers.etag! })
      expect(again.status).toBe(304)
      expect(again.body.length).toBe(0)
      expect(comparable(again.headers)).toEqual(comparable(againSlow.headers))
      const head = await get(app, nearest, {}, 'HEAD')
      const headSlow = await get(app, viaExpress(nearest), {}, 'HEAD')
      expect(head.body.length).toBe(0)
      expect(comparable(head.headers)).toEqual(comparable(headSlow.headers))
    })

    it('counts hot answers under their route in the metrics', async () => {
      const count = async () => {
        const text = (await get(app, '/metrics')).body.toString()
        const line = text
          .split('\n')
          .find(
            (l) =>
              l.startsWith('http_request_duration_seconds_count') &&
              l.includes('route="/api/v1/stations/nearest"') &&
              l.includes('status="200"'),
          )
        return Number(line?.split(' ').at(-1) ?? 0)
      }
      const before = await count()
      await get(app, nearest)
      await get(app, nearest)
      expect(await count()).toBe(before + 2)
    })
  })

  describe('with an index that keeps no station’s fields', () => {
    let bare: StationIndex
    const servers: http.Server[] = []
    beforeAll(async () => {
      bare = new StationIndex(db().knex, undefined, { bodyCacheBytes: 1 })
      await bare.load()
    })
    afterAll(async () => {
      for (const s of servers) await close(s)
    })

    it('reads the fields itself, ahead of Express, and answers as from a full cache', async () => {
      const left: string[] = []
      const rules = statusRules(30, () => seeded)
      const alone = await listen(
        hotFirst(
          stationHotRoutes('/api/v1', bare, db().knex, rules),
          () => [],
          (req, res) => {
            left.push(req.url!)
            res.statusCode = 599
            res.end()
          },
          (err) => {
            throw err
          },
        ),
      )
      const config = testConfig({ CORS_PUBLIC_ORIGINS: '*' })
      const app = (stations: StationIndex) =>
        listen(testApp(db(), { stations, clock: () => seeded, config }))
      const [reading, full] = [await app(bare), await app(index)]
      servers.push(alone, reading, full)
      for (const path of [nearest, bbox]) {
        const [first, read, cached] = [
          await get(alone, path),
          await get(reading, path),
          await get(full, path),
        ]
        expect(first.status).toBe(200)
        // as the full index answers under the same rules
        expect(first.body.equals((await get(hot, path)).body)).toBe(true)
        expect(read.status).toBe(200)
        expect(comparable(read.headers)).toEqual(comparable(cached.headers))
        expect(read.body.equals(cached.body)).toBe(true)
      }
      expect(left).toEqual([])
    })
  })

  describe('an answer that fails after the middleware', () => {
    let server: http.Server
    const logged: unknown[] = []
    // what node-postgres throws when the database refuses connections
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), {
      code: 'ECONNREFUSED',
    })
    beforeAll(async () => {
      const express = testApp(db())
      server = await listen(
        hotFirst(
          [
            {
              label: '/api/v1/failing',
              match: (p) => (p === '/api/v1/failing' ? [] : undefined),
              answer: () => Promise.reject(refused),
            },
          ],
          () => [],
          express,
          (err) => logged.push(err),
        ),
      )
    })
    afterAll(() => close(server))

    it('is answered as the error handler answers it: 503 problem+json with Retry-After', async () => {
      const res = await get(server, '/api/v1/failing?x=1')
      expect(res.status).toBe(503)
      expect(res.headers['content-type']).toBe('application/problem+json; charset=utf-8')
      expect(res.headers['retry-after']).toBe('5')
      expect(JSON.parse(res.body.toString())).toEqual({
        type: 'https://yizhan.dev/problems/503',
        title: 'Service Unavailable',
        status: 503,
        detail: 'The database is unreachable; try again shortly',
        instance: '/api/v1/failing?x=1',
      })
      expect(logged).toEqual([refused])
    })
  })

  describe('a cached tile', () => {
    let node: Awaited<ReturnType<typeof startServer>>
    let server: http.Server
    // central Changsha, where the seed has stations
    const tile = '/api/v1/tiles/stations/12/3333/1713.mvt'
    beforeAll(async () => {
      node = await startServer(db(), { clock: () => seeded })
      server = node.server
    })
    afterAll(() => node.close())

    it('is answered ahead of Express as the tile route answers a hit, 304 included', async () => {
      const miss = await get(server, tile)
      expect(miss.headers['x-cache']).toBe('miss')
      const fast = await get(server, tile)
      const slow = await get(server, `${tile}/`)
      expect(fast.headers['x-cache']).toBe('hit')
      expect(comparable(fast.headers)).toEqual(comparable(slow.headers))
      expect(fast.body.length).toBeGreaterThan(100)
      expect(fast.body.equals(miss.body) && fast.body.equals(slow.body)).toBe(true)
      const again = await get(server, tile, { 'if-none-match': fast.headers.etag! })
      const againSlow = await get(server, `${tile}/`, { 'if-none-match': fast.headers.etag! })
      expect(again.status).toBe(304)
      expect(comparable(again.headers)).toEqual(comparable(againSlow.headers))
    })

    it('is rendered ahead of Express, as the route renders it, by an app with no tile cache', async () => {
      const uncached = await listen(testApp(db(), { clock: () => seeded }))
      try {
        const fast = await get(uncached, tile)
        const slow = await get(uncached, `${tile}/`)
        expect(fast.status).toBe(200)
        expect(fast.headers['x-cache']).toBeUndefined()
        expect(comparable(fast.headers)).toEqual(comparable(slow.headers))
        expect(fast.body.equals(slow.body)).toBe(true)
        const again = await get(uncached, tile, { 'if-none-match': fast.headers.etag! })
        expect(again.status).toBe(304)
      } finally {
        await close(uncached)
      }
    })

    it('leaves an invalid tile to Express, which answers 400 even when the tile it names is cached', async () => {
      await get(server, tile)
      expect((await get(server, tile)).headers['x-cache']).toBe('hit')
      for (const bad of [
        '/api/v1/tiles/stations/12/03333/1713.mvt',
        '/api/v1/tiles/stations/012/3333/1713.mvt',
        '/api/v1/tiles/stations/12/3333/4096.mvt',
        '/api/v1/tiles/stations/1/2/0.mvt',
        '/api/v1/tiles/stations/23/0/0.mvt',
        '/api/v1/tiles/stations/99999999999/0/0.mvt',
      ]) {
        const res = await get(server, bad)
        expect(res.status, bad).toBe(400)
        expect(res.headers['content-type'], bad).toMatch(/^application\/problem\+json/)
        expect(res.headers['x-cache'], bad).toBeUndefined()
      }
    })
  })
})
