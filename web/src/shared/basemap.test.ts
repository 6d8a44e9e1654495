import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, expect, it } from 'vitest'
import type { Browser, Locator, Page } from 'playwright-core'
import { describeOneBackend } from '../../../test/db.ts'
import { browserAvailable, collectConsoleErrors, launchBrowser } from '../../../test/browser.ts'
import { seedTime, testConfig } from '../../../test/app.ts'
import { startServer } from '../../../test/server.ts'
import { DESKTOP, openPage, PHONE, saveScreenshot } from '../../../test/webPages.ts'

const hasBrowser = browserAvailable()
const FIXTURE = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../../test/fixtures/changsha-test.pmtiles',
)
const CHANGSHA_DISTRICTS = new Set(['芙蓉区', '天心区', '岳麓区', '开福区', '雨花区', '望城区'])
/** Near Wuyi Square, in the middle of the test extract. */
const CENTRAL_CHANGSHA = { lon: 112.985, lat: 28.193 }

/** The map once it has settled, and the names its basemap wrote. */
async function drawnNames(map: Locator): Promise<string[]> {
  await map.page().locator('#map[data-ready="true"]').waitFor({ timeout: 20_000 })
  return ((await map.getAttribute('data-rendered-names')) ?? '').split(' ').filter(Boolean)
}

/** A station in central Changsha, opened by link: the map centres it at zoom 14. */
async function centralStation(url: string): Promise<number> {
  const q = new URLSearchParams({
    lon: String(CENTRAL_CHANGSHA.lon),
    lat: String(CENTRAL_CHANGSHA.lat),
    limit: '1',
  })
  const res = await fetch(`${url}/api/v1/stations/nearest?${q}`)
  return ((await res.json()) as { results: { id: number }[] }).results[0]!.id
}

/**
 * Zooms out a level at a time, each click once the map has settled from the one before: a click
 * during an animation zooms out from wherever the animation has got to.
 */
async function zoomOut(page: Page, levels: number, from: number) {
  const map = page.locator('#map')
  const zoom = async () => Number(await map.getAttribute('data-zoom'))
  await expect.poll(zoom, { timeout: 15_000 }).toBeGreaterThanOrEqual(from)
  for (let i = 0; i < levels; i++) {
    const before = await zoom()
    await page.locator('.maplibregl-ctrl-zoom-out').click()
    await expect.poll(zoom, { timeout: 15_000 }).toBeLessThanOrEqual(before - 0.99)
  }
}

describeOneBackend('basemaps in a real browser', (db, backend) => {
  let browser: Browser
  let offline: Awaited<ReturnType<typeof startServer>>
  let pmtiles: Awaited<ReturnType<typeof startServer>>
  let now: Date

  beforeAll(async () => {
    if (!hasBrowser) return
    now = await seedTime(db())
    offline = await startServer(db(), { clock: () => now })
    pmtiles = await startServer(db(), {
      clock: () => now,
      config: testConfig({ BASEMAP: 'pmtiles', PMTILES_FILE: FIXTURE }),
    })
    browser = await launchBrowser()
  })
  afterAll(async () => {
    await browser?.close()
    await offline?.close()
    await pmtiles?.close()
  })

  for (const [name, viewport] of [
    ['desktop', DESKTOP],
    ['phone', PHONE],
  ] as const) {
    it.skipIf(!hasBrowser)(
      `the offline style names cities, and districts closer in (${name})`,
      async () => {
        const { page, errors } = await openPage(browser, offline.url, { viewport, now })
        // a phone loads the map when asked
        if (name === 'phone') await page.locator('.map-placeholder button').click()
        const map = page.locator('#map')
        await expect.poll(() => drawnNames(map), { timeout: 15_000 }).toContain('长沙市')
        expect(await map.getAttribute('data-basemap')).toBe('offline')
        const names = await drawnNames(map)
        // the province's cities, and no district yet
        expect(names.filter((n) => /[市州]$/.test(n)).length).toBeGreaterThan(
          name === 'desktop' ? 8 : 4,
        )
        expect(names.filter((n) => n.endsWith('区'))).toEqual([])
        await saveScreenshot(page, `basemap-offline-${name}`, backend)

        await page.goto(`${offline.url}/?station=${await centralStation(offline.url)}`)
        await page.locator('.station-card').waitFor()
        await zoomOut(page, 3, 14)
        // Changsha's districts, wherever the view puts them
        await expect
          .poll(
            async () => (await drawnNames(map)).filter((n) => CHANGSHA_DISTRICTS.has(n)).length,
            { timeout: 15_000 },
          )
          .toBeGreaterThan(1)
        await saveScreenshot(page, `basemap-offline-districts-${name}`, backend)
        expect(errors).toEqual([])
        await page.context().close()
      },
    )

    it.skipIf(!hasBrowser)(
      `the PMTiles basemap draws streets from the extract (${name})`,
      async () => {
        const station = await centralStation(pmtiles.url)
        const context = await browser.newContext({ locale: 'zh-CN', viewport })
        const page = await context.newPage()
        const errors = collectConsoleErrors(page)
        await page.clock.setFixedTime(now)
        const ranges: number[] = []
        page.on('response', (res) => {
          if (new URL(res.url()).pathname.startsWith('/basemap/')) ranges.push(res.status())
        })
        await page.goto(`${pmtiles.url}/?station=${station}`)
        const map = page.locator('#map')
        await page.locator('.station-card').waitFor()
        await expect
          .poll(async () => Number(await map.getAttribute('data-rendered-roads')), {
            timeout: 20_000,
          })
          .toBeGreaterThan(10)
        expect(await map.getAttribute('data-basemap')).toBe('pmtiles')
        // the street names of the extract, drawn with the page's own fonts
        await expect
          .poll(async () => (await drawnNames(map)).filter((n) => /[路街巷里道]$/.test(n)).length, {
            timeout: 15_000,
          })
          .toBeGreaterThan(2)
        expect(ranges.length).toBeGreaterThan(1)
        expect(ranges.every((s) => s === 206)).toBe(true)
        await saveScreenshot(page, `basemap-pmtiles-${name}`, backend)
        expect(errors).toEqual([])
        await page.context().close()
      },
    )
  }
})
