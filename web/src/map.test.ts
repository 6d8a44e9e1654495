import { afterAll, beforeAll, expect, it } from 'vitest'
import type { Browser, Page } from 'playwright-core'
import { describeEachBackend } from '../../test/db.ts'
import { browserAvailable, collectConsoleErrors, launchBrowser } from '../../test/browser.ts'
import { seedTime, testConfig } from '../../test/app.ts'
import { startServer } from '../../test/server.ts'
import { mapReady, saveScreenshot } from '../../test/webPages.ts'
import { NEAREST_LIMIT, nearestQuery } from './shared/api.ts'

const hasBrowser = browserAvailable()
const noFilters = { amenities: [], openNow: false, available: false }

/** The first page's map; a phone shows it when asked (it loads the map library on demand). */
async function stationsDrawn(page: Page, url: string, onPhone?: () => Promise<void>) {
  await page.goto(url)
  if (onPhone) {
    await page.locator('.locate-button').waitFor()
    expect(await page.locator('.maplibregl-map').count()).toBe(0)
    await onPhone()
    await page.locator('.map-placeholder button').click()
  }
  return mapReady(page)
}

describeEachBackend('first page in a real browser', (db, backend) => {
  let browser: Browser
  let server: Awaited<ReturnType<typeof startServer>>
  let offlineServer: Awaited<ReturnType<typeof startServer>>

  beforeAll(async () => {
    if (!hasBrowser) return
    const now = await seedTime(db())
    server = await startServer(db(), { clock: () => now })
    // A basemap that cannot be reached: the page must fall back to its bundled style.
    offlineServer = await startServer(db(), {
      clock: () => now,
      config: testConfig({ MAP_STYLE_URL: 'http://127.0.0.1:59999/style.json' }),
    })
    browser = await launchBrowser()
  })
  afterAll(async () => {
    await browser?.close()
    await server?.close()
    await offlineServer?.close()
  })

  for (const [name, viewport] of [
    ['desktop', { width: 1440, height: 900 }],
    ['phone', { width: 390, height: 844 }],
  ] as const) {
    it.skipIf(!hasBrowser)(
      `shows the seeded stations at ${name} size, no console errors`,
      async () => {
        const page = await browser.newPage({ viewport, locale: 'zh-CN' })
        const errors = collectConsoleErrors(page)
        const map = await stationsDrawn(
          page,
          server.url,
          name === 'phone' ? () => saveScreenshot(page, 'first-page-phone', backend) : undefined,
        )
        expect(await map.getAttribute('data-basemap')).toBe('offline')
        expect(await page.getByText('驿站 Yizhan').isVisible()).toBe(true)
        await saveScreenshot(page, `${name === 'phone' ? 'map' : 'first-page'}-${name}`, backend)
        expect(errors).toEqual([])
        await page.close()
      },
    )
  }

  it.skipIf(!hasBrowser)('stays usable when the configured basemap is unreachable', async () => {
    const here = { latitude: 28.1941, longitude: 112.9823 }
    const context = await browser.newContext({
      viewport: { width: 1440, height: 900 },
      permissions: ['geolocation'],
      geolocation: here,
    })
    const page = await context.newPage()
    const errors = collectConsoleErrors(page)
    const map = await stationsDrawn(page, offlineServer.url)
    expect(await map.getAttribute('data-basemap')).toBe('offline')
    // the courier can still find the nearest stations and open one
    await page.locator('.locate-button').click()
    await page.locator('.results[data-state="done"]').waitFor()
    const q = nearestQuery({ lon: here.longitude, lat: here.latitude }, noFilters, NEAREST_LIMIT)
    const res = await fetch(`${offlineServer.url}/api/v1/stations/nearest?${q}`)
    const nearest = ((await res.json()) as { results: { id: number }[] }).results
    const listed = await page
      .locator('.station-item')
      .evaluateAll((items) => items.map((i) => Number((i as HTMLElement).dataset.stationId)))
    expect(listed).toEqual(nearest.map((s) => s.id))
    await page.locator('.station-item').first().click()
    await page.locator(`.station-card[data-station-id="${nearest[0]!.id}"]`).waitFor()
    // The browser itself logs the refused connection; nothing else may fail.
    expect(errors.filter((e) => !/^Failed to load resource/.test(e))).toEqual([])
    await context.close()
  })
})
