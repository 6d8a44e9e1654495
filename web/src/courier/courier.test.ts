import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Browser, Page } from 'playwright-core'
import { describeEachBackend } from '../../../test/db.ts'
import { browserAvailable, launchBrowser } from '../../../test/browser.ts'
import { seedTime } from '../../../test/app.ts'
import { startServer } from '../../../test/server.ts'
import {
  apiReport,
  apiSignIn,
  layoutProblems,
  mapReady,
  openPage,
  PHONE,
  saveScreenshot,
} from '../../../test/webPages.ts'
import { NEAREST_LIMIT, nearestQuery, type NearestFilters } from '../shared/api.ts'

const hasBrowser = browserAvailable()
/** Central Changsha, where stations are dense. */
const HERE = { latitude: 28.1941, longitude: 112.9823 }
const NO_FILTERS: NearestFilters = { amenities: [], openNow: false, available: false }
/** A live update must show within this long. */
const LIVE_MS = 2_000

type Server = Awaited<ReturnType<typeof startServer>>

async function apiNearest(url: string, filters: NearestFilters): Promise<number[]> {
  const q = nearestQuery({ lon: HERE.longitude, lat: HERE.latitude }, filters, NEAREST_LIMIT)
  const res = await fetch(`${url}/api/v1/stations/nearest?${q}`)
  const body = (await res.json()) as { results: { id: number }[] }
  return body.results.map((s) => s.id)
}

function listedIds(page: Page): Promise<number[]> {
  return page
    .locator('.station-item')
    .evaluateAll((items) => items.map((i) => Number((i as HTMLElement).dataset.stationId)))
}

async function locate(page: Page) {
  await page.locator('.locate-button').click()
  await page.locator('.results[data-state="done"]').waitFor()
}

describeEachBackend('courier view in a real browser', (db, backend) => {
  let browser: Browser
  let server: Server
  let now: Date
  let admin: string
  const geo = { permissions: ['geolocation'], geolocation: HERE }

  beforeAll(async () => {
    if (!hasBrowser) return
    now = await seedTime(db())
    server = await startServer(db(), { clock: () => now })
    browser = await launchBrowser()
    admin = await apiSignIn(server.url, 'admin')
  })
  afterAll(async () => {
    await browser?.close()
    await server?.close()
  })

  describe.skipIf(!hasBrowser)('on a desktop', () => {
    let page: Page
    let errors: string[]

    beforeAll(async () => {
      ;({ page, errors } = await openPage(browser, server.url, { ...geo, now }))
    })
    afterAll(async () => {
      await page?.context().close()
    })

    it('draws the stations and lists the nearest in the order of the API', async () => {
      const map = await mapReady(page)
      expect(await map.getAttribute('data-basemap')).toBe('offline')
      await locate(page)
      expect(await listedIds(page)).toEqual(await apiNearest(server.url, NO_FILTERS))
      const first = page.locator('.station-item').first()
      await expect.poll(() => first.textContent()).toMatch(/\d+ (米|公里)/)
      await page.locator('.live-pill[data-state="live"]').waitFor({ timeout: 20_000 })
      expect(await layoutProblems(page, desktopControls)).toEqual([])
      expect(errors).toEqual([])
    })

    it('applies the filters the way the API does', async () => {
      await page.locator('[data-filter="amenities"]').click()
      await page.locator('[data-filter="hot_water"]').click()
      await page.locator('.results[data-state="done"]').waitFor()
      await expect
        .poll(() => listedIds(page))
        .toEqual(await apiNearest(server.url, { ...NO_FILTERS, amenities: ['hot_water'] }))
      await page.locator('[data-filter="hot_water"]').click()
      await page.locator('[data-filter="amenities"]').click()
      // open now, so that a report can make the first one full
      await page.locator('[data-filter="open_now"]').click()
      const open = await apiNearest(server.url, { ...NO_FILTERS, openNow: true })
      await expect.poll(() => listedIds(page)).toEqual(open)
      await saveScreenshot(page, 'courier-desktop', backend)
      expect(errors).toEqual([])
    })

    it('shows a report posted through the API within 2 s: list, card and marker', async () => {
      const [first, second] = await listedIds(page)
      const item = page.locator(`.station-item[data-station-id="${first}"]`)
      const version = Number(await item.getAttribute('data-version'))
      await item.click()
      const card = page.locator(`.station-card[data-station-id="${first}"]`)
      await card.waitFor()
      const map = page.locator('#map')
      await expect
        .poll(() => map.getAttribute('data-selected-station'), { timeout: 10_000 })
        .toMatch(`${first}:`)
      await saveScreenshot(page, 'courier-card-desktop', backend)

      const capacity = (await apiReport(server.url, admin, first!, { occupancy: 0 })).capacity
      await expect.poll(() => card.getAttribute('data-version')).toBe(String(version + 1))
      const full = await apiReport(server.url, admin, first!, {
        occupancy: capacity,
        supplies: { drinking_water: 3 },
      })
      expect(full.status.availability).toBe('full')
      const v = full.status.version
      const pin = page.locator(`.pin[data-station-id="${first}"]`)
      // within 2 s of the answer: the card, the list row, the pin and the dot as the map draws it
      const live = { timeout: LIVE_MS, interval: 50 }
      await expect
        .poll(
          async () => [
            await card.getAttribute('data-version'),
            await item.getAttribute('data-availability'),
            await pin.getAttribute('data-availability'),
            await map.getAttribute('data-selected-station'),
          ],
          live,
        )
        .toEqual([String(v), 'full', 'full', `${first}:full:${v}`])
      expect(await card.locator('.availability').first().textContent()).toContain('已满')
      expect(await card.textContent()).toContain(`0 个空位 · 共 ${capacity} 座`)
      expect(await card.locator('.supply-low[data-supply="drinking_water"]').count()).toBe(1)
      expect(await item.textContent()).toContain('饮用水不足')

      // a listed station that is not open in the card changes in the list too
      const other = page.locator(`.station-item[data-station-id="${second}"]`)
      const otherReport = await apiReport(server.url, admin, second!, { occupancy: 1 })
      await expect
        .poll(() => other.getAttribute('data-version'), live)
        .toBe(String(otherReport.status.version))
      expect(await other.textContent()).toContain(`${otherReport.status.available_spaces} 个空位`)
      expect(errors).toEqual([])
    })

    it('says when the connection drops, and catches up once it is back', async () => {
      const states: string[] = await page.evaluate(() => {
        const seen: string[] = []
        const pill = document.querySelector<HTMLElement>('.live-pill')!
        new MutationObserver(() => seen.push(pill.dataset.state!)).observe(pill, {
          attributes: true,
        })
        ;(window as unknown as { liveStates: string[] }).liveStates = seen
        return seen
      })
      expect(states).toEqual([])
      const card = page.locator('.station-card')
      const id = Number(await card.getAttribute('data-station-id'))
      server.live.io!.of('/live').disconnectSockets(true)
      await expect
        .poll(() => page.evaluate(() => (window as unknown as { liveStates: string[] }).liveStates))
        .toEqual(['reconnecting', 'live'])
      const report = await apiReport(server.url, admin, id, { occupancy: 1 })
      await expect
        .poll(() => card.getAttribute('data-version'), { timeout: LIVE_MS, interval: 50 })
        .toBe(String(report.status.version))
      expect(errors).toEqual([])
    })

    it('sends a request for a new station from a place tapped on the map', async () => {
      await page.locator('.station-card .back-button').click()
      await page.locator('.request-open').click()
      const place = page.locator('.request-place')
      const before = await place.textContent()
      const box = (await page.locator('#map').boundingBox())!
      await page.mouse.click(box.x + box.width * 0.3, box.y + box.height * 0.6)
      await expect.poll(() => place.textContent()).not.toBe(before)
      await page.locator('[data-amenity-choice="ebike_charging"]').click()
      const note = `browser test ${backend} ${Date.now()}`
      await page.locator('#request-note').fill(note)
      await page.locator('.request-form button[type="submit"]').click()
      await page.locator('.request-form .notice-ok').waitFor()
      const row = await db().knex('station_requests').where({ note }).first()
      expect(row).toBeTruthy()
      expect(row.amenities).toEqual(['ebike_charging'])
      expect(errors).toEqual([])
    })
  })

  it.skipIf(!hasBrowser)(
    'works on a phone: bottom sheet, large targets, no sideways scroll',
    async () => {
      const { page, errors } = await openPage(browser, server.url, {
        ...geo,
        now,
        viewport: PHONE,
        isMobile: true,
        hasTouch: true,
      })
      // the list and the locate button come first; the map library loads once there is a list
      await page.locator('.map-placeholder').waitFor()
      expect(await page.locator('.maplibregl-map').count()).toBe(0)
      expect(await layoutProblems(page, phoneBeforeMap)).toEqual([])
      await locate(page)
      // fitted to the list: a few stations, not the thousand mapReady waits for
      await page.locator('#map[data-ready="true"]').waitFor({ timeout: 20_000 })
      expect(await layoutProblems(page, phoneControls)).toEqual([])
      expect(await listedIds(page)).toEqual(await apiNearest(server.url, NO_FILTERS))
      expect(await layoutProblems(page, [...phoneControls, '.station-item', '.chip'])).toEqual([])
      await page.locator('.live-pill[data-state="live"]').waitFor({ timeout: 20_000 })
      await saveScreenshot(page, 'courier-phone', backend)

      await page.locator('.station-item').first().click()
      await page.locator('.station-card').waitFor()
      await saveScreenshot(page, 'courier-card-phone', backend)
      await page.locator('.nav-apps').scrollIntoViewIfNeeded()
      expect(await layoutProblems(page, ['.back-button', '.nav-app', '.phone-link'])).toEqual([])
      // the sheet's handle folds it down to the main button and back
      const sheet = page.locator('.panel')
      await page.locator('.sheet-handle').click()
      await expect.poll(() => sheet.getAttribute('data-sheet')).toBe('peek')
      await page.locator('.sheet-handle').click()
      await expect.poll(() => sheet.getAttribute('data-sheet')).toBe('half')
      // English at a tap, the open card included
      await page.locator('.lang-switch').click()
      expect(await page.locator('html').getAttribute('lang')).toBe('en')
      expect(await page.locator('.station-card .back-button').textContent()).toContain(
        'Back to list',
      )
      expect(await page.locator('.locate-button').textContent()).toBe('Find stations near me')
      expect(errors).toEqual([])
      await page.context().close()
    },
  )
})

const headerControls = ['.nav-link', '.lang-switch', '.maplibregl-ctrl-zoom-in']
const desktopControls = [...headerControls, '.locate-button', '.chip', '.station-item']
const phoneControls = [...headerControls, '.locate-button', '.sheet-handle', '.legend summary']
const phoneBeforeMap = ['.nav-link', '.lang-switch', '.locate-button', '.map-placeholder button']
