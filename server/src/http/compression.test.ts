import fs from 'node:fs'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import zlib from 'node:zlib'
import { fileURLToPath } from 'node:url'
import { beforeAll, expect, it } from 'vitest'
import request from 'supertest'
import type { App } from '../app.ts'
import { describeEachBackend } from '../../../test/db.ts'
import { seedTime, testApp } from '../../../test/app.ts'

const dist = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../web/dist')
// The web app is built before the tests in CI (and for the browser tests locally).
const built = fs.existsSync(dist)
if (!built && process.env.REQUIRE_BROWSER === '1') throw new Error('web/dist is not built')

/** The answer as sent, body still encoded (supertest would decode it). */
function get(app: App, url: string, encoding: string) {
  return new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }>(
    (resolve, reject) => {
      const server = http.createServer(app).listen(0, '127.0.0.1', () => {
        const { port } = server.address() as AddressInfo
        http
          .get({ port, path: url, headers: { 'accept-encoding': encoding } }, (res) => {
            const chunks: Buffer[] = []
            res.on('data', (c: Buffer) => chunks.push(c))
            res.on('end', () => {
              server.close()
              resolve({
                status: res.statusCode!,
                headers: res.headers,
                body: Buffer.concat(chunks),
              })
            })
          })
          .on('error', reject)
      })
    },
  )
}

describeEachBackend('compression and caching', (db) => {
  let app: App
  beforeAll(async () => {
    // a pinned clock: a station going stale between two reads would change the tile
    const now = await seedTime(db())
    app = testApp(db(), { clock: () => now })
  })

  it('compresses API answers (brotli or gzip, as asked) and says it varies', async () => {
    const url = '/api/v1/stations?bbox=112.8,28.0,113.2,28.4&limit=200'
    const plain = await get(app, url, 'identity')
    expect(plain.headers['content-encoding']).toBeUndefined()
    const br = await get(app, url, 'br, gzip')
    expect(br.headers['content-encoding']).toBe('br')
    expect(br.headers.vary).toMatch(/Accept-Encoding/i)
    const body = zlib.brotliDecompressSync(br.body)
    expect(body.equals(plain.body)).toBe(true)
    expect(br.body.length).toBeLessThan(plain.body.length / 4)
    const gz = await get(app, url, 'gzip')
    expect(gz.headers['content-encoding']).toBe('gzip')
    expect(zlib.gunzipSync(gz.body).equals(plain.body)).toBe(true)
  })

  it('compresses vector tiles', async () => {
    const url = '/api/v1/tiles/stations/8/208/107.mvt'
    const plain = await get(app, url, 'identity')
    expect(plain.status).toBe(200)
    const gz = await get(app, url, 'gzip')
    expect(gz.headers['content-encoding']).toBe('gzip')
    expect(zlib.gunzipSync(gz.body).equals(plain.body)).toBe(true)
    expect(gz.body.length).toBeLessThan(plain.body.length / 2)
  })

  it.runIf(built)(
    'serves the built files pre-compressed; hashed ones cached for good',
    async () => {
      const script = fs.readdirSync(path.join(dist, 'assets')).find((f) => /^map-.*\.js$/.test(f))!
      const url = `/assets/${script}`
      const br = await get(app, url, 'gzip, deflate, br')
      expect(br.status).toBe(200)
      expect(br.headers['content-encoding']).toBe('br')
      expect(br.headers['cache-control']).toBe('public, max-age=31536000, immutable')
      expect(br.body.equals(fs.readFileSync(path.join(dist, 'assets', `${script}.br`)))).toBe(true)
      const gz = await get(app, url, 'gzip')
      expect(gz.headers['content-encoding']).toBe('gzip')
      const page = await request(app).get('/planner')
      expect(page.status).toBe(200)
      expect(page.headers['cache-control']).toBe('no-cache')
      const index = await request(app).get('/')
      expect(index.headers['cache-control']).toBe('no-cache')
    },
  )

  it.runIf(built)(
    'answers the app’s pages and robots.txt; any other path is a 404 problem',
    async () => {
      for (const page of ['/', '/manager', '/planner/', '/admin'])
        expect((await request(app).get(page)).headers['content-type'], page).toMatch(/text\/html/)
      const robots = await request(app).get('/robots.txt')
      expect(robots.status).toBe(200)
      expect(robots.text).toMatch(/Disallow: \/api\//)
      for (const path of ['/nope', '/manager/extra', '/wp-login.php']) {
        const res = await request(app).get(path)
        expect(res.status, path).toBe(404)
        expect(res.headers['content-type'], path).toMatch(/^application\/problem\+json/)
      }
    },
  )
})
