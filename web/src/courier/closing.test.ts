import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Browser, Page } from 'playwright-core'
import { describeEachBackend } from '../../../test/db.ts'
import { browserAvailable, launchBrowser } from '../../../test/browser.ts'
import { seedTime } from '../../../test/app.ts'
import { startServer } from '../../../test/server.ts'
import { apiReport, apiSignIn, openPage, PHONE } from '../../../test/webPages.ts'
import { NEAREST_LIMIT, nearestQuery } from '../shared/api.ts'

const hasBrowser = browserAvailable()
/** Central Changsha; the stations below are a few metres north of it, nearer than any other. */
const HERE = { latitude: 28.1941, longitude: 112.9823 }

const STATIONS = {
  closing: 'Mo-Su 07:00-22:00',
  late: 'Mo-Su 06:00-23:00',
  allDay: '24/7',
  closed: 'Mo-Su 08:00-20:00',
}
type Name = keyof typeof STATIONS

/** The first 21:48 in China (13:48 UTC) after the seed's reports: 12 minutes before 22:00. */
function evening(after: Date): Date {
  const at = new Date(after)
  at.setUTCHours(13, 48, 0, 0)
  if (at < after) at.setUTCDate(at.getUTCDate() + 1)
  return at
}

describeEachBackend('courier list and card say when stations close', (db) => {
  let browser: Browser
  let server: Awaited<ReturnType<typeof startServer>>
  let now: Date
  const ids = {} as Record<Name, number>
  const geo = { permissions: ['geolocation'], geolocation: HERE }

  beforeAll(async () => {
    if (!hasBrowser) return
    now = evening(await seedTime(db()))
    server = await startServer(db(), { clock: () => now })
    browser = await launchBrowser()
    const admin = await apiSignIn(server.url, 'admin')
    for (const [i, [name, hours]] of Object.entries(STATIONS).entries()) {
      const res = await fetch(`${server.url}/api/v1/stations`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', cookie: admin },
        body: JSON.stringify({
          code: `HN-CS-CLOSE-${i}`,
          name: `收车测试驿站 ${name}`,
          location: { lon: HERE.longitude, lat: HERE.latitude + (i + 1) * 0.0001 },
          capacity: 8,
          opening_hours: hours,
        }),
      })
      expect(res.status).toBe(201)
      ids[name as Name] = ((await res.json()) as { id: number }).id
      await apiReport(server.url, admin, ids[name as Name], { occupancy: 2 })
    }
  })
  afterAll(async () => {
    await browser?.close()
    await server?.close()
  })

  const item = (page: Page, name: Name) =>
    page.locator(`.station-item[data-station-id="${ids[name]}"]`)

  async function locate(page: Page) {
    await page.locator('.locate-button').click()
    await page.locator('.results[data-state="done"]').waitFor()
  }

  describe.skipIf(!hasBrowser)('on a desktop', () => {
    let page: Page
    let errors: string[]

    beforeAll(async () => {
      ;({ page, errors } = await openPage(browser, server.url, { ...geo, now }))
    })
    afterAll(async () => {
      await page?.context().close()
    })

    it('lists "closes in 12 min" in red, "open until 23:00" and "open 24 h"', async () => {
      await locate(page)
      await expect.poll(() => item(page, 'closing').textContent()).toContain('12 分钟后关门')
      expect(await item(page, 'closing').locator('.hours-soon').textContent()).toBe('12 分钟后关门')
      expect(await item(page, 'late').locator('.item-hours').textContent()).toBe('营业至 23:00')
      expect(await item(page, 'late').locator('.hours-soon').count()).toBe(0)
      expect(await item(page, 'allDay').locator('.item-hours').textContent()).toBe('24 小时开放')
      // closed by its hours: after every open station, out of the first ten here
      expect(await item(page, 'closed').count()).toBe(0)
      // live updates rebuild the rows: asked again until a row stays put long enough
      const soon = item(page, 'closing').locator('.hours-soon')
      await expect
        .poll(() => soon.evaluate((e) => getComputedStyle(e).color))
        .toBe('rgb(201, 42, 42)')
      expect(errors).toEqual([])
    })

    it('"open now" leaves out a station closing within 15 minutes', async () => {
      await page.locator('[data-filter="open_now"]').click()
      await page.locator('.results[data-state="done"]').waitFor()
      const q = nearestQuery(
        { lon: HERE.longitude, lat: HERE.latitude },
        {
          amenities: [],
          openNow: true,
          available: false,
        },
        NEAREST_LIMIT,
      )
      expect(q).toContain('open_for=15')
      const api = (await (await fetch(`${server.url}/api/v1/stations/nearest?${q}`)).json()) as {
        results: { id: number }[]
      }
      const expected = api.results.map((r) => r.id)
      expect(expected).not.toContain(ids.closing)
      expect(expected).toContain(ids.late)
      await expect
        .poll(() =>
          page
            .locator('.station-item')
            .evaluateAll((items) => items.map((i) => Number((i as HTMLElement).dataset.stationId))),
        )
        .toEqual(expected)
      // as the courier left it
      await page.locator('[data-filter="open_now"]').click()
      await page.locator('.results[data-state="done"]').waitFor()
      expect(errors).toEqual([])
    })

    it('the card of a closed station says when it opens; in English too', async () => {
      await page.goto(`${server.url}/?station=${ids.closed}`)
      const card = page.locator(`.station-card[data-station-id="${ids.closed}"]`)
      await card.waitFor()
      await expect
        .poll(() => card.locator('.availability').first().textContent())
        .toContain('已关门 · 明天 08:00 开门')
      await page.goto(`${server.url}/?station=${ids.closing}`)
      const closing = page.locator(`.station-card[data-station-id="${ids.closing}"]`)
      await closing.waitFor()
      expect(await closing.locator('.card-hours.hours-soon').textContent()).toBe('12 分钟后关门')
      await page.locator('.lang-switch').click()
      await expect.poll(() => closing.locator('.card-hours').textContent()).toBe('Closes in 12 min')
      await page.goto(`${server.url}/?station=${ids.closed}`)
      await expect
        .poll(() => page.locator('.station-card .availability').first().textContent())
        .toContain('Closed · opens tomorrow 08:00')
      await page.locator('.lang-switch').click()
      expect(errors).toEqual([])
    })
  })

  it.skipIf(!hasBrowser)('on a phone the closing note fits the list row', async () => {
    const { page, errors } = await openPage(browser, server.url, {
      ...geo,
      now,
      viewport: PHONE,
      isMobile: true,
      hasTouch: true,
    })
    await locate(page)
    const note = item(page, 'closing').locator('.hours-soon')
    await expect.poll(() => note.textContent()).toBe('12 分钟后关门')
    // both measured in one turn: a live update may rebuild the row between two calls
    const overflow = await item(page, 'closing').evaluate((row) => {
      const note = row.querySelector('.hours-soon')!.getBoundingClientRect()
      return note.width > 0 ? note.right - row.getBoundingClientRect().right : NaN
    })
    expect(overflow).toBeLessThanOrEqual(0)
    expect(errors).toEqual([])
    await page.context().close()
  })
})
