import { afterAll, beforeAll, expect, it } from 'vitest'
import type { Browser, Page } from 'playwright-core'
import { describeOneBackend } from '../../../test/db.ts'
import { browserAvailable, launchBrowser } from '../../../test/browser.ts'
import { startServer } from '../../../test/server.ts'
import { clearOfOpeningChanges } from '../../../test/app.ts'
import { startRelay } from '../../../test/relay.ts'
import { openPage, PHONE, saveScreenshot } from '../../../test/webPages.ts'
import { NEAREST_LIMIT, nearestQuery, type NearestFilters } from '../shared/api.ts'

const hasBrowser = browserAvailable()
const HERE = { latitude: 28.1941, longitude: 112.9823 }
/** Another part of Changsha, asked only once the network is gone. */
const THERE = { latitude: 28.2282, longitude: 112.9388 }
const NO_FILTERS: NearestFilters = { amenities: [], openNow: false, available: false }

type Server = Awaited<ReturnType<typeof startServer>>

async function apiNearest(url: string, at: typeof HERE, filters = NO_FILTERS) {
  const q = nearestQuery({ lon: at.longitude, lat: at.latitude }, filters, NEAREST_LIMIT)
  const body = (await (await fetch(`${url}/api/v1/stations/nearest?${q}`)).json()) as {
    results: { id: number; distance_m: number }[]
  }
  return body.results
}

const listed = (page: Page) =>
  page.locator('.station-item').evaluateAll((items) =>
    items.map((i) => ({
      id: Number((i as HTMLElement).dataset.stationId),
      stale: (i as HTMLElement).dataset.stale === 'true',
    })),
  )

const copySize = (page: Page) =>
  page.evaluate(async () => {
    const cached = await (await caches.open('yizhan-offline-v1')).match('/offline/stations.json')
    return cached ? ((await cached.json()) as { stations: unknown[] }).stations.length : 0
  })

describeOneBackend('the courier page offline', (db, backend) => {
  let browser: Browser
  let server: Server
  let relay: Awaited<ReturnType<typeof startRelay>>

  beforeAll(async () => {
    if (!hasBrowser) return
    server = await startServer(db())
    relay = await startRelay(server.url)
    browser = await launchBrowser()
    // the test compares the page's answers with the API's, on the real clock
    await clearOfOpeningChanges(90_000)
  })
  afterAll(async () => {
    await browser?.close()
    await relay?.close()
    await server?.close()
  })

  it.skipIf(!hasBrowser)(
    'opens after a first visit, answers nearest from its copy, and sends a queued request',
    async () => {
      const here = await apiNearest(server.url, HERE)
      const there = await apiNearest(server.url, THERE)
      const thereOpen = await apiNearest(server.url, THERE, { ...NO_FILTERS, openNow: true })
      const { page } = await openPage(browser, relay.url, {
        viewport: PHONE,
        isMobile: true,
        hasTouch: true,
        permissions: ['geolocation'],
        geolocation: HERE,
      })
      const context = page.context()
      // first visit, online: the service worker takes the page, the list comes from the API
      await page.evaluate(() => navigator.serviceWorker.ready)
      await expect.poll(() => page.evaluate(() => !!navigator.serviceWorker.controller)).toBe(true)
      await page.locator('.locate-button').click()
      await page.locator('.results[data-state="done"][data-offline="false"]').waitFor()
      expect((await listed(page)).map((s) => s.id)).toEqual(here.map((s) => s.id))
      // the copy of the region's stations, taken once the page has settled
      const stations = Number(
        (await db().knex('stations').whereNot('state', 'retired').count({ n: '*' }))[0]!.n,
      )
      await expect.poll(() => copySize(page), { timeout: 90_000 }).toBe(stations)

      // the network goes: pages and service worker alike
      await relay.cut()
      await context.setOffline(true)
      await page.reload()
      // the app opens from the service worker; the list is the copy's, marked stale
      await page.locator('.results[data-offline="true"] .station-item').first().waitFor()
      const offline = await listed(page)
      expect(offline.map((s) => s.id)).toEqual(here.map((s) => s.id))
      expect(offline.every((s) => s.stale)).toBe(true)
      expect(await page.locator('.results-status').textContent()).toMatch(/^离线/)
      await saveScreenshot(page, 'courier-offline-phone', backend)

      // a new place, never asked online: computed in the browser, same as the server's answer
      await context.setGeolocation(THERE)
      await page.locator('.locate-button').click()
      await expect
        .poll(async () => (await listed(page)).map((s) => s.id))
        .toEqual(there.map((s) => s.id))
      // and with a filter: open now, and for the next quarter of an hour
      await page.locator('.chip', { hasText: '营业中' }).click()
      await expect
        .poll(async () => (await listed(page)).map((s) => s.id))
        .toEqual(thereOpen.map((s) => s.id))

      // a station request made offline waits in the phone
      const note = `离线申请 ${Date.now()}`
      const requests = () => db().knex('station_requests').where({ note })
      await page.locator('.request-open').click()
      await page.getByRole('button', { name: '使用我的位置' }).click()
      await page.locator('#request-note').fill(note)
      await page.locator('.request-form button[type="submit"]').click()
      await page.locator('.request-form .notice-ok').waitFor()
      expect(await page.locator('.request-form .notice-ok').textContent()).toMatch(/离线|联网/)
      expect(await requests()).toHaveLength(0)

      // back online: the request is sent once, and the list is the server's again
      await relay.restore()
      await context.setOffline(false)
      await expect.poll(async () => (await requests()).length, { timeout: 20_000 }).toBe(1)
      await expect
        .poll(() => page.evaluate(() => JSON.parse(localStorage.getItem('yizhan.requestQueue')!)))
        .toEqual([])
      await page.getByRole('button', { name: /返回/ }).first().click()
      await page.locator('.results[data-state="done"][data-offline="false"]').waitFor()
      expect(await page.locator('.search .notice-ok').textContent()).toContain('已提交')
      // the socket's reconnect also flushes the queue: still one request
      await page.locator('.live-pill[data-state="live"]').waitFor({ timeout: 20_000 })
      expect(await requests()).toHaveLength(1)
      await context.close()
    },
  )
})
