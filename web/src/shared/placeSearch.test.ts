import { afterAll, beforeAll, expect, it } from 'vitest'
import type { Browser, Page } from 'playwright-core'
import { pinyin } from 'pinyin-pro'
import { describeEachBackend } from '../../../test/db.ts'
import { browserAvailable, launchBrowser } from '../../../test/browser.ts'
import { startServer } from '../../../test/server.ts'
import {
  DESKTOP,
  layoutProblems,
  openPage,
  PHONE,
  saveScreenshot,
  signInPage,
} from '../../../test/webPages.ts'

const hasBrowser = browserAvailable()

/** The planner, signed in, its map ready and showing Changsha. */
async function openPlanner(browser: Browser, url: string, viewport = DESKTOP) {
  const { page, errors } = await openPage(browser, `${url}/planner`, { viewport })
  await signInPage(page, 'planner')
  await page.locator('#map[data-ready="true"]').waitFor({ timeout: 45_000 })
  return { page, errors }
}

/** Console errors but the 401 of asking who is signed in before signing in. */
const unexpected = (errors: string[]) =>
  errors.filter((e) => !/^Failed to load resource: .*\b401\b/.test(e))

const input = (page: Page) => page.getByRole('combobox', { name: '搜索地点' })
const options = (page: Page) => page.locator('.place-search [role="option"]')

describeEachBackend('place search in the planner, in a real browser', (db, backend) => {
  let browser: Browser
  let server: Awaited<ReturnType<typeof startServer>>
  /** A station far from the planner's first view (Changsha). */
  let far: { id: number; name: string }

  beforeAll(async () => {
    if (!hasBrowser) return
    far = await db()
      .knex('stations')
      .where({ city: '张家界市', state: 'active' })
      .orderBy('id')
      .first('id', 'name')
    server = await startServer(db())
    browser = await launchBrowser()
  })
  afterAll(async () => {
    await browser?.close()
    await server?.close()
  })

  it.skipIf(!hasBrowser)(
    'typing pinyin lists the station; the keyboard chooses it and the map flies there',
    async () => {
      const { page, errors } = await openPlanner(browser, server.url)
      const box = input(page)
      expect(await box.getAttribute('aria-expanded')).toBe('false')
      // the station is not in view yet
      expect(await page.locator('#map').getAttribute('data-selected-station')).toBeNull()

      const spelled = pinyin(far.name, { toneType: 'none', separator: '' })
      await box.pressSequentially(spelled.slice(0, 24), { delay: 20 })
      await options(page).first().waitFor()
      expect(await box.getAttribute('aria-expanded')).toBe('true')
      const first = options(page).first()
      expect(await first.locator('.place-name').textContent()).toBe(far.name)
      expect(await first.locator('.place-kind').textContent()).toBe('驿站')
      expect(await first.locator('.place-where').textContent()).toContain('张家界市')

      await box.press('ArrowDown')
      const activeId = await box.getAttribute('aria-activedescendant')
      expect(activeId).toBe(await first.getAttribute('id'))
      expect(await first.getAttribute('aria-selected')).toBe('true')
      await saveScreenshot(page, 'place-search-desktop', backend)
      await box.press('Enter')

      expect(await box.inputValue()).toBe(far.name)
      expect(await box.getAttribute('aria-expanded')).toBe('false')
      // the map moved: the chosen station is drawn (selected) inside the view
      await page.locator(`#map[data-selected-station^="${far.id}:"]`).waitFor({ timeout: 45_000 })
      expect(unexpected(errors)).toEqual([])
      await page.context().close()
    },
    120_000,
  )

  it.skipIf(!hasBrowser)(
    'forgives a typo, says when nothing matches, and Escape closes the list',
    async () => {
      const { page, errors } = await openPlanner(browser, server.url)
      const box = input(page)
      await box.fill('changsah')
      await expect.poll(() => options(page).first().textContent()).toContain('长沙市')
      expect(await options(page).first().locator('.place-kind').textContent()).toBe('城市')
      await box.press('Escape')
      expect(await box.getAttribute('aria-expanded')).toBe('false')
      expect(await options(page).first().isVisible()).toBe(false)
      await box.press('ArrowDown')
      expect(await box.getAttribute('aria-expanded')).toBe('true')

      await box.fill('zzqqxxjj')
      const status = page.locator('.place-search-status')
      await expect.poll(() => status.textContent()).toBe('没有找到匹配的地点')
      expect(await status.isVisible()).toBe(true)
      expect(await box.getAttribute('aria-expanded')).toBe('false')
      expect(unexpected(errors)).toEqual([])
      await page.context().close()
    },
    120_000,
  )

  it.skipIf(!hasBrowser)(
    'fits a 390 px phone: 44 px targets, nothing off screen',
    async () => {
      const { page, errors } = await openPlanner(browser, server.url, PHONE)
      const box = input(page)
      await box.fill('yuelu')
      await options(page).first().waitFor()
      expect(await options(page).first().locator('.place-name').textContent()).toBe('岳麓区')
      expect(await layoutProblems(page, ['.place-search-input', '.place-search-option'])).toEqual(
        [],
      )
      await saveScreenshot(page, 'place-search-phone', backend)
      await options(page).first().click()
      expect(await box.inputValue()).toBe('岳麓区')
      expect(await options(page).first().isVisible()).toBe(false)
      expect(unexpected(errors)).toEqual([])
      await page.context().close()
    },
    120_000,
  )
})
