import { afterAll, beforeAll, expect, it } from 'vitest'
import type { Browser, Page } from 'playwright-core'
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

/** A phone held in the hand: touch events, and the page scrolled by them. */
const TOUCH_PHONE = { viewport: PHONE, isMobile: true, hasTouch: true }

/** What each supply shows: its exact level, the quick level chosen, and in words which it is. */
const levels = (page: Page) =>
  page.locator('.report-form .level').evaluateAll((nodes) =>
    nodes.map((n) => ({
      supply: (n as HTMLElement).dataset.supply,
      value: n.querySelector('.level-value')?.textContent,
      checked: n.querySelector<HTMLInputElement>('.level-radio:checked')?.value ?? null,
      state: n.querySelector<HTMLElement>('.level-state')?.dataset.state,
    })),
  )

/** A thumb swipe through the browser's own touch input: down the page by `dy` px, in steps. */
async function swipe(page: Page, from: { x: number; y: number }, dy: number) {
  const cdp = await page.context().newCDPSession(page)
  const steps = 10
  const point = (i: number) => [{ x: from.x, y: from.y - (dy * i) / steps }]
  await cdp.send('Input.dispatchTouchEvent', { type: 'touchStart', touchPoints: point(0) })
  for (let i = 1; i <= steps; i++)
    await cdp.send('Input.dispatchTouchEvent', { type: 'touchMove', touchPoints: point(i) })
  await cdp.send('Input.dispatchTouchEvent', { type: 'touchEnd', touchPoints: [] })
  await cdp.detach()
}

/** The page's scroll position once a fling has come to rest. */
async function restingScroll(page: Page): Promise<number> {
  let last = -1
  for (;;) {
    const y = await page.evaluate(() => window.scrollY)
    if (y === last) return y
    last = y
    await page.waitForTimeout(250)
  }
}

const centre = async (page: Page, selector: string) => {
  const box = (await page.locator(selector).first().boundingBox())!
  return { x: box.x + box.width / 2, y: box.y + box.height / 2 }
}

describeEachBackend('manager view in a real browser', (db, backend) => {
  let browser: Browser
  let server: Awaited<ReturnType<typeof startServer>>
  let seeded: Date
  let now: Date
  let stationId: number
  let capacity: number

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
    const station = await db().knex('stations').where({ id: stationId }).first('capacity')
    capacity = Number(station.capacity)
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
    // hand warmers: a supply this station has never reported
    await db().knex('station_supplies').where({ station_id: stationId, item: 'hand_warmers' }).del()
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
    'opens the sign-in form with the username field focused, on every page that has it',
    async () => {
      const focused = (page: Page) => page.evaluate(() => document.activeElement?.id)
      for (const path of ['/manager', '/planner', '/admin']) {
        const { page, errors } = await openPage(browser, `${server.url}${path}`, TOUCH_PHONE)
        await page.locator('#signin-username').waitFor()
        await expect.poll(() => focused(page)).toBe('signin-username')
        if (path === '/planner') {
          // opened again after signing in with an account that is not a planner's
          await signInPage(page, 'manager001')
          await page.locator('.planner-gate-card .primary-button').click()
          await page.locator('#signin-username').waitFor()
          await expect.poll(() => focused(page)).toBe('signin-username')
        }
        expect(unexpected(errors)).toEqual([])
        await page.context().close()
      }
    },
  )

  it.skipIf(!hasBrowser)(
    'a manager reports with steppers and level buttons, and the courier page shows it',
    async () => {
      const courier = await openPage(browser, `${server.url}/?station=${stationId}`, { now })
      const card = courier.page.locator(`.station-card[data-station-id="${stationId}"]`)
      await card.waitFor()
      // the socket connects once the map follows an area: the card's station
      await courier.page.locator('.live-pill[data-state="live"]').waitFor({ timeout: 20_000 })
      const version = Number(await card.getAttribute('data-version'))

      const { page, errors } = await openPage(browser, `${server.url}/manager`, {
        now,
        ...TOUCH_PHONE,
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
      const after = Math.min(before + 2, capacity * 2 + 10)
      await page.locator('.stepper [data-step="up"]').first().click()
      await page.locator('.stepper [data-step="up"]').first().click()
      await expect.poll(() => occupancy.inputValue()).toBe(String(after))

      // never reported: said so, no level chosen, nothing to fine-adjust
      const warmers = page.locator('.level[data-supply="hand_warmers"]')
      expect(await warmers.locator('.level-state').textContent()).toBe('还没有上报过')
      expect(await warmers.locator('.level-radio:checked').count()).toBe(0)
      expect(await warmers.locator('.level-value').textContent()).toBe('—')
      expect(await warmers.locator('.fine-button:enabled').count()).toBe(0)

      // water: 0 %, then two fine steps up to exactly 10 %
      const water = page.locator('.level[data-supply="drinking_water"]')
      expect(await water.locator('.level-state').getAttribute('data-state')).toBe('reported')
      await water.locator('.level-option', { hasText: /^0%$/ }).tap()
      await expect.poll(() => water.locator('.level-radio:checked').getAttribute('value')).toBe('0')
      await water.locator('[data-step="up"]').tap()
      await water.locator('[data-step="up"]').tap()
      expect(await water.locator('.level-value').textContent()).toBe('10%')
      expect(await water.locator('.level-radio:checked').count()).toBe(0)
      expect(await water.locator('.level-state').textContent()).toBe('本次上报')
      // umbrellas: 75 %, one step down to 70 %
      const umbrellas = page.locator('.level[data-supply="umbrellas"]')
      await umbrellas.locator('.level-option', { hasText: '75%' }).tap()
      expect(await umbrellas.locator('.level-option:has(:checked)').textContent()).toBe('75%')
      await umbrellas.locator('[data-step="down"]').tap()
      expect(await umbrellas.locator('.level-value').textContent()).toBe('70%')

      expect(
        await layoutProblems(page, [
          '.step-button',
          '.stepper-input',
          '.level-option',
          '.fine-button:enabled',
          '.submit-report',
          '.station-tab',
        ]),
      ).toEqual([])
      await page.locator('.report').evaluate((form) => form.scrollIntoView())
      await saveScreenshot(page, 'manager-report-phone', backend)

      const submit = page.locator('.submit-report')
      await submit.tap()
      const message = page.locator('.report-send .report-message.notice-ok')
      await message.waitFor()
      // the answer is at the button, says when and what, and names the alert the report opened
      const time = new Intl.DateTimeFormat('zh-CN', {
        hour: '2-digit',
        minute: '2-digit',
        hourCycle: 'h23',
      }).format(now)
      expect(await message.textContent()).toContain(`已于 ${time} 上报`)
      expect(await message.textContent()).toContain(`在站人数 ${after}`)
      expect(await message.textContent()).toContain('饮用水 10% · 爱心雨伞 70%')
      expect(await message.textContent()).not.toContain('暖宝宝')
      expect(await message.locator('.report-opened').textContent()).toBe(
        '新的物资不足提醒：饮用水 10%',
      )
      const [box, button] = [(await message.boundingBox())!, (await submit.boundingBox())!]
      expect(button.y - (box.y + box.height)).toBeGreaterThanOrEqual(0)
      expect(button.y - (box.y + box.height)).toBeLessThan(16)
      expect(box.y).toBeGreaterThanOrEqual(0)
      expect(button.y + button.height).toBeLessThanOrEqual(PHONE.height)

      // sent exactly what was set: the two levels, and no level for the supply never reported
      const report = await db()
        .knex('status_reports')
        .where({ station_id: stationId })
        .orderBy('version', 'desc')
        .first()
      expect(report.occupancy).toBe(after)
      expect(report.supplies).toEqual({ drinking_water: 10, umbrellas: 70 })
      const stocked = await db()
        .knex('station_supplies')
        .where({ station_id: stationId })
        .select('item', 'level')
      expect(stocked).toContainEqual({ item: 'drinking_water', level: 10 })
      expect(stocked).toContainEqual({ item: 'umbrellas', level: 70 })
      expect(stocked.map((s) => s.item)).not.toContain('hand_warmers')

      await expect
        .poll(() => card.getAttribute('data-version'), { timeout: 2_000, interval: 50 })
        .toBe(String(version + 1))
      // free seats are shown while the station is open (the seed's hour decides)
      const shown = await card.locator('.availability').first().getAttribute('data-availability')
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
      // the form shows the new levels as reported; the one never reported still reads so
      expect(await water.locator('.level-state').getAttribute('data-state')).toBe('reported')
      expect(await warmers.locator('.level-state').getAttribute('data-state')).toBe('unreported')
      expect(unexpected(errors)).toEqual([])
      expect(courier.errors).toEqual([])
      await courier.page.context().close()
      await page.context().close()
    },
  )

  it.skipIf(!hasBrowser)(
    'a swipe or a wheel that starts on a supply scrolls the page and changes no level',
    async () => {
      const { page, errors } = await openPage(
        browser,
        `${server.url}/manager?station=${stationId}`,
        { now, ...TOUCH_PHONE },
      )
      await signInPage(page, 'manager001')
      await page.locator('.report-form .level').first().waitFor()
      const shown = await levels(page)
      const occupancy = await page.locator('#report-occupancy').inputValue()
      const reports = async () =>
        (await db().knex('status_reports').where({ station_id: stationId }).count({ n: '*' }))[0]!.n

      // thumb swipes up the page starting on each kind of supply control
      await page.evaluate(() => window.scrollTo(0, 0))
      for (const control of [
        '.level[data-supply="drinking_water"] .level-option:nth-child(3)',
        '.level[data-supply="first_aid"] .level-option:nth-child(1)',
        '.level[data-supply="heatstroke_medicine"] [data-step="up"]',
      ]) {
        await page
          .locator(control)
          .evaluate((node) => node.scrollIntoView({ block: 'center', behavior: 'instant' }))
        const from = await restingScroll(page)
        await swipe(page, await centre(page, control), 240)
        expect(await restingScroll(page)).toBeGreaterThan(from + 100)
        expect(await levels(page)).toEqual(shown)
      }
      // and back down, starting on a level button
      const up = '.level[data-supply="umbrellas"] .level-option:nth-child(5)'
      await page
        .locator(up)
        .evaluate((node) => node.scrollIntoView({ block: 'center', behavior: 'instant' }))
      const from = await restingScroll(page)
      await swipe(page, await centre(page, up), -240)
      expect(await restingScroll(page)).toBeLessThan(from - 100)
      expect(await levels(page)).toEqual(shown)

      // a mouse wheel over the levels, and over the occupancy with the field focused
      await page.evaluate(() => window.scrollTo(0, 0))
      await page
        .locator('.level[data-supply="first_aid"]')
        .evaluate((node) => node.scrollIntoView({ block: 'start', behavior: 'instant' }))
      for (const control of [
        '.level[data-supply="first_aid"] .level-option:nth-child(2)',
        '.level[data-supply="first_aid"] [data-step="down"]',
      ]) {
        const before = await restingScroll(page)
        const at = await centre(page, control)
        await page.mouse.move(at.x, at.y)
        await page.mouse.wheel(0, 200)
        expect(await restingScroll(page)).toBeGreaterThan(before)
        expect(await levels(page)).toEqual(shown)
      }
      await page.evaluate(() => window.scrollTo(0, 0))
      await page.locator('#report-occupancy').focus()
      const at = await centre(page, '#report-occupancy')
      await page.mouse.move(at.x, at.y)
      await page.mouse.wheel(0, 150)
      expect(await restingScroll(page)).toBeGreaterThan(0)
      expect(await page.locator('#report-occupancy').inputValue()).toBe(occupancy)

      // the next report says none of them changed
      const count = Number(await reports())
      await page.locator('.submit-report').tap()
      await page.locator('.report-message.notice-ok').waitFor()
      expect(Number(await reports())).toBe(count + 1)
      const report = await db()
        .knex('status_reports')
        .where({ station_id: stationId })
        .orderBy('version', 'desc')
        .first()
      expect(report.supplies).toEqual({})
      expect(report.occupancy).toBe(Number(occupancy))
      expect(unexpected(errors)).toEqual([])
      await page.context().close()
    },
  )

  it.skipIf(!hasBrowser)(
    'the send button stays at the foot of the phone screen without hiding the last level',
    async () => {
      const { page, errors } = await openPage(
        browser,
        `${server.url}/manager?station=${stationId}`,
        { now, ...TOUCH_PHONE },
      )
      await signInPage(page, 'manager001')
      await page.locator('.report-form .level').first().waitFor()
      const submit = page.locator('.submit-report')
      const atFoot = async () => {
        const box = (await submit.boundingBox())!
        return box.y + box.height <= PHONE.height && box.y + box.height > PHONE.height - 40
      }
      // wherever the form is scrolled to, until its end, the button is at the foot of the screen
      const end = await page
        .locator('.report-form')
        .evaluate((node) => node.getBoundingClientRect().bottom + window.scrollY - innerHeight)
      expect(end).toBeGreaterThan(200)
      for (const y of [0, end / 3, (2 * end) / 3, end - 20]) {
        await page.evaluate((y) => window.scrollTo({ top: y, behavior: 'instant' }), y)
        expect(await atFoot()).toBe(true)
      }
      // scrolled to the end of the form, the last level shows whole above it
      const last = page.locator('.report-form .level').last()
      await page
        .locator('.report-form')
        .evaluate((node) => node.scrollIntoView({ block: 'end', behavior: 'instant' }))
      const [lastBox, buttonBar] = [
        (await last.boundingBox())!,
        (await page.locator('.report-send').boundingBox())!,
      ]
      expect(lastBox.y + lastBox.height).toBeLessThanOrEqual(buttonBar.y + 1)
      await submit.tap()
      await page.locator('.report-message.notice-ok').waitFor()
      const message = (await page.locator('.report-message').boundingBox())!
      expect(message.y).toBeGreaterThanOrEqual(0)
      expect(await atFoot()).toBe(true)
      await saveScreenshot(page, 'manager-report-sent-phone', backend)
      expect(unexpected(errors)).toEqual([])
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
      // the whole page in the window: a full-page capture would draw the sticky send bar where
      // the window ends, over the middle of the form
      const height = await page.evaluate(() => document.documentElement.scrollHeight)
      await page.setViewportSize({ ...DESKTOP, height })
      await saveScreenshot(page, 'manager-desktop', backend)
      expect(unexpected(errors)).toEqual([])
      await page.context().close()
    },
  )
})
