import http from 'node:http'
import path from 'node:path'
import { createRequire } from 'node:module'
import type { AddressInfo } from 'node:net'
import express from 'express'
import { afterAll, beforeAll, expect, it } from 'vitest'
import type { Browser } from 'playwright-core'
import { describeOneBackend } from '../../../test/db.ts'
import { browserAvailable, launchBrowser } from '../../../test/browser.ts'
import { seedTime } from '../../../test/app.ts'
import { startServer } from '../../../test/server.ts'
import { openPage } from '../../../test/webPages.ts'

const hasBrowser = browserAvailable()
const maplibreDist = path.join(
  path.dirname(createRequire(import.meta.url).resolve('maplibre-gl/package.json')),
  'dist',
)

/**
 * Another site's page: MapLibre adds the stations by the TileJSON URL alone, as its
 * documentation shows, and reports the features of the source once the map is idle.
 */
const PAGE = `<!doctype html>
<html>
  <head>
    <meta charset="utf-8" />
    <link rel="icon" href="data:," />
    <link rel="stylesheet" href="/maplibre/maplibre-gl.css" />
    <style>#map { width: 800px; height: 600px }</style>
  </head>
  <body>
    <div id="map"></div>
    <script type="module">
      import { Map } from '/maplibre/maplibre-gl.mjs'
      window.showStations = (url, center, zoom) =>
        new Promise((resolve) => {
          const map = new Map({
            container: 'map',
            center,
            zoom,
            style: {
              version: 8,
              sources: { yizhan: { type: 'vector', url } },
              layers: [
                { id: 'bg', type: 'background', paint: { 'background-color': '#fff' } },
                { id: 'stations', type: 'circle', source: 'yizhan', 'source-layer': 'stations' },
              ],
            },
          })
          map.on('error', (e) => resolve({ error: String(e.error?.message ?? e.error) }))
          map.once('idle', () => {
            const source = map.getSource('yizhan')
            resolve({
              minzoom: source.minzoom,
              maxzoom: source.maxzoom,
              bounds: source.bounds,
              features: map
                .querySourceFeatures('yizhan', { sourceLayer: 'stations' })
                .map((f) => f.properties),
            })
          })
        })
      window.mapReady = true
    </script>
  </body>
</html>`

interface Shown {
  error?: string
  minzoom: number
  maxzoom: number
  bounds: [number, number, number, number]
  features: Record<string, string | number | boolean>[]
}

describeOneBackend('the station TileJSON in MapLibre on another site', (db) => {
  let browser: Browser
  let server: Awaited<ReturnType<typeof startServer>>
  let site: http.Server
  let siteUrl: string

  beforeAll(async () => {
    if (!hasBrowser) return
    const now = await seedTime(db())
    server = await startServer(db(), { clock: () => now })
    const pages = express()
    pages.use('/maplibre', express.static(maplibreDist))
    pages.get('/', (_req, res) => {
      res.type('html').send(PAGE)
    })
    site = http.createServer(pages)
    await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve))
    siteUrl = `http://127.0.0.1:${(site.address() as AddressInfo).port}/`
    browser = await launchBrowser()
  })
  afterAll(async () => {
    await browser?.close()
    await server?.close()
    await new Promise((resolve) => site?.close(resolve))
  })

  it.skipIf(!hasBrowser)(
    'a vector source with the TileJSON URL loads, and its features are the stations',
    async () => {
      const { page, errors } = await openPage(browser, siteUrl)
      const fromOurServer: string[] = []
      page.on('response', (res) => {
        if (res.url().startsWith(server.url)) fromOurServer.push(`${res.status()} ${res.url()}`)
      })
      await page.waitForFunction(() => (window as unknown as { mapReady?: boolean }).mapReady)
      // central Changsha at street level: one feature per station
      const shown = (await page.evaluate(
        (url) =>
          (
            window as unknown as {
              showStations(url: string, center: [number, number], zoom: number): Promise<unknown>
            }
          ).showStations(url, [112.985, 28.193], 13),
        `${server.url}/api/v1/tiles/stations.json`,
      )) as Shown

      expect(shown.error).toBeUndefined()
      expect([shown.minzoom, shown.maxzoom]).toEqual([0, 22])
      const { rows } = await db().knex.raw(
        `SELECT id, name FROM stations WHERE state <> 'retired' AND
           ST_Intersects(location::geometry, ST_MakeEnvelope(?, ?, ?, ?, 4326))`,
        shown.bounds,
      )
      const names = new Map((rows as { id: number; name: string }[]).map((r) => [r.id, r.name]))
      const ids = new Set(shown.features.map((f) => Number(f.id)))
      expect(ids.size).toBeGreaterThan(10)
      for (const f of shown.features) {
        expect(names.get(Number(f.id)), `station ${f.id}`).toBe(f.name)
        expect(f.point_count).toBe(1)
        expect(typeof f.open_now).toBe('boolean')
      }
      // fetched across origins: the TileJSON and its tiles, from the URL the TileJSON gave
      expect(fromOurServer[0]).toBe(`200 ${server.url}/api/v1/tiles/stations.json`)
      expect(
        fromOurServer.filter((r) => /^200 .*\/stations\/13\/\d+\/\d+\.mvt$/.test(r)).length,
      ).toBeGreaterThan(0)
      expect(errors).toEqual([])
      await page.context().close()
    },
  )
})
