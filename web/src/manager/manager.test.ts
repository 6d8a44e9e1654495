import { afterAll, beforeAll, expect, it } from 'vitest'
import type { Browser } from 'playwright-core'
import { describeEachBackend } from '../../../test/db.ts'
import { browserAvailable, launchBrowser } from '../../../test/browser.ts'
import { seedTime } from '../../../test/app.ts'
import { startServer } from '../../../test/server.ts'
import {
  apiReport,
  apiSignIn,
  DESKTOP,
  layoutProblems,
  openPage,
  PHONE,
  saveScreenshot,
  signInPage,
} from '../../../test/webPages.ts'

const hasBrowser = browserAvailable()
const HOUR = 3_600_000

/** Console errors other than the ones a browser logs for answers the page expects (401). */
const unexpected = (errors: string[]) =>
  errors.filter((e) => !/^Failed to load resource: .*(401|ERR_CONNECTION_RESET)/.test(e))

describeEachBackend('manager view in a real browser', (db, backend) => {
  let browser: Browser
  let server: Awaited<ReturnType<typeof startServer>>
  let seeded: Date
  let now: Date
  let stationId: number

  beforeAll(async () => {
    if (!hasBrowser) return
    seeded = await seedTime(db())
    now = seeded
    server = await startServer(db(), { clock: () => now })
    browser = await launchBrowser()
    const row = await db()
      .knex('station_managers as m')
      .join('users as u', 'u.id', 'm.user_id')
      .where('u.username', 'manager001')
      .min({ id: 'm.station_id' })
      .first()
    stationId = Number(row!.id)
    // a day and a half of hourly reports, so that the history and busy hours have a shape
    const cookie = await apiSignIn(server.url, 'manager001')
    for (let h = 36; h >= 1; h--) {
      now = new Date(seeded.getTime() - h * HOUR)
      const hour = (now.getUTCHours() + 8) % 24
      const busy = Math.max(0, Math.sin((Math.PI * (hour - 6)) / 14))
      await apiReport(server.url, cookie, stationId, {
        occupancy: Math.round(2 + 16 * busy),
        // the umbrellas run out in the last hour: an alert is open from the start
        supplies: { drinking_water: 25 + h * 2, umbrellas: h === 1 ? 5 : 60 },
      })
    }
    now = seeded
  })
  afterAll(async () => {
    await browser?.close()
    await server?.close()
  })

  it.skipIf(!hasBrowser)('turns away a wrong password', async () => {
    const { page, errors } = await openPage(browser, `${server.url}/manager`, { viewport: PHONE })
    await signInPage(page, 'manager001', 'not-the-password')
    await expect.poll(() => page.locator('.signin [role="alert"]').textContent()).toContain('不对')
    expect(await layoutProblems(page, ['.signin input', '.signin button', '.nav-link'])).toEqual([])
    expect(unexpected(errors)).toEqual([])
    await page.context().close()
  })

  it.skipIf(!hasBrowser)(
    'a manager reports with steppers and sliders, and the courier page shows it',
    async () => {
      const courier = await openPage(browser, `${server.url}/?station=${stationId}`, { now })
      const card = courier.page.locator(`.station-card[data-station-id="${stationId}"]`)
      await card.waitFor()
      await expect
        .poll(() => courier.page.locator('.live-pill').getAttribute('data-state'))
        .toBe('live')
      const version = Number(await card.getAttribute('data-version'))

      const { page, errors } = await openPage(browser, `${server.url}/manager`, {
        now,
        viewport: PHONE,
        isMobile: true,
        hasTouch: true,
      })
      await signInPage(page, 'manager001')
      const form = page.locator('.report-form')
      await form.waitFor()
      expect(
        await page
          .locator(`.station-tab[data-station-id="${stationId}"]`)
          .getAttribute('aria-pressed'),
      ).toBe('true')
      const occupancy = page.locator('#report-occupancy')
      const before = Number(await occupancy.inputValue())
      const after = Math.min(before + 2, Number(await occupancy.getAttribute('max')))
      await page.locator('[data-step="up"]').first().click()
      await page.locator('[data-step="up"]').first().click()
      await page.locator('#report-supply-drinking_water').fill('10')
      await expect.poll(() => occupancy.inputValue()).toBe(String(after))
      expect(
        await layoutProblems(page, [
          '.step-button',
          '.stepper-input',
          '.level-slider',
          '.submit-report',
          '.station-tab',
        ]),
      ).toEqual([])
      await page.locator('.report').evaluate((form) => form.scrollIntoView())
      await saveScreenshot(page, 'manager-report-phone', backend)

      await page.locator('.submit-report').click()
      await page.locator('.report-message.notice-ok').waitFor()
      await expect
        .poll(() => card.getAttribute('data-version'), { timeout: 2_000, interval: 50 })
        .toBe(String(version + 1))
      // free seats are shown while the station is open (the seed's hour decides)
      const shown = await card.locator('.availability').first().getAttribute('data-availability')
      const capacity = Number(/共 (\d+) 座/.exec((await card.textContent())!)![1])
      if (shown === 'open' || shown === 'full')
        expect(await card.textContent()).toContain(`${Math.max(0, capacity - after)} 个空位`)
      expect(await card.locator('.supply-low[data-supply="drinking_water"]').count()).toBe(1)

      // the low water opens an alert, pushed to the manager
      const alert = page.locator(
        `.alert-list li[data-station-id="${stationId}"][data-supply="drinking_water"]`,
      )
      await alert.waitFor()
      expect(await alert.textContent()).toContain('饮用水剩 10%')
      await expect
        .poll(() => page.locator('.history-list li').first().getAttribute('data-version'))
        .toBe(String(version + 1))
      expect(unexpected(errors)).toEqual([])
      expect(courier.errors).toEqual([])
      await courier.page.context().close()
      await page.context().close()
    },
  )

  it.skipIf(!hasBrowser)(
    'retries a report whose answer was lost with the same Idempotency-Key, counted once',
    async () => {
      const { page, errors } = await openPage(
        browser,
        `${server.url}/manager?station=${stationId}`,
        {
          now,
        },
      )
      await signInPage(page, 'manager001')
      await page.locator('.report-form').waitFor()
      const keys: string[] = []
      let lose = true
      await page.route('**/reports', async (route) => {
        if (route.request().method() !== 'POST') return route.continue()
        keys.push(route.request().headers()['idempotency-key']!)
        if (!lose) return route.continue()
        // the server gets and applies the report, but the answer never comes back
        lose = false
        await route.fetch()
        await route.abort('connectionreset')
      })
      const count = async () =>
        Number(
          (await db()
            .knex('status_reports')
            .where({ station_id: stationId })
            .count({ n: '*' })
            .first())!.n,
        )
      const reports = await count()
      await page.locator('[data-step="down"]').first().click()
      await page.locator('.submit-report').click()
      await expect.poll(() => page.locator('.submit-report').textContent()).toBe('重试')
      await page.locator('.submit-report').click()
      await page.locator('.report-message.notice-ok').waitFor()
      expect(keys).toHaveLength(2)
      expect(keys[1]).toBe(keys[0])
      expect(await count()).toBe(reports + 1)

      await page.unroute('**/reports')
      await page.setViewportSize(DESKTOP)
      await page.locator('.history-chart').waitFor()
      await page.locator('.busy-chart').waitFor()
      await page.locator('.alert-list li').first().waitFor()
      expect(await layoutProblems(page, ['.station-tab', '.submit-report', '.alert-row'])).toEqual(
        [],
      )
      await page.evaluate(() => window.scrollTo(0, 0))
      await saveScreenshot(page, 'manager-desktop', backend, { fullPage: true })
      expect(unexpected(errors)).toEqual([])
      await page.context().close()
    },
  )
})
