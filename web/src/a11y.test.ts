import { createRequire } from 'node:module'
import fs from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Browser, Page } from 'playwright-core'
import type { AxeResults } from 'axe-core'
import { describeOneBackend } from '../../test/db.ts'
import { browserAvailable, launchBrowser } from '../../test/browser.ts'
import { seedTime } from '../../test/app.ts'
import { startServer } from '../../test/server.ts'
import { DESKTOP, openPage, PHONE, signInPage } from '../../test/webPages.ts'

const hasBrowser = browserAvailable()
const axeSource = fs.readFileSync(
  createRequire(import.meta.url).resolve('axe-core/axe.min.js'),
  'utf8',
)
const HERE = { latitude: 28.1941, longitude: 112.9823 }

/**
 * The serious and critical axe-core violations on the page as it is now, one line each, and
 * whether it has its one h1.
 */
async function violations(page: Page): Promise<string[]> {
  // evaluated over the DevTools protocol, which the page's CSP does not govern
  await page.evaluate(axeSource)
  const results = await page.evaluate(
    () =>
      (window as unknown as { axe: { run(): Promise<AxeResults> } }).axe.run() as Promise<{
        violations: AxeResults['violations']
      }>,
  )
  const headings = await page.locator('h1').count()
  return results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .flatMap((v) => v.nodes.map((n) => `${v.id} (${v.impact}): ${n.target.join(' ')}`))
    .concat(headings === 1 ? [] : [`${headings} h1 elements: a page has one`])
}

describeOneBackend('accessibility (axe-core) of every view', (db) => {
  let browser: Browser
  let server: Awaited<ReturnType<typeof startServer>>
  let now: Date

  beforeAll(async () => {
    if (!hasBrowser) return
    now = await seedTime(db())
    server = await startServer(db(), { clock: () => now })
    browser = await launchBrowser()
  })
  afterAll(async () => {
    await browser?.close()
    await server?.close()
  })

  for (const [device, viewport] of [
    ['phone', PHONE],
    ['desktop', DESKTOP],
  ] as const) {
    describe.skipIf(!hasBrowser)(`on a ${device}`, () => {
      const open = (path: string) =>
        openPage(browser, `${server.url}${path}`, {
          now,
          viewport,
          ...(device === 'phone' ? { isMobile: true, hasTouch: true } : {}),
          permissions: ['geolocation'],
          geolocation: HERE,
        })

      it('courier: first page, list, card, request form, in both languages', async () => {
        const { page } = await open('/')
        await page.locator('.locate-button').waitFor()
        expect(await violations(page)).toEqual([])
        await page.locator('.locate-button').click()
        await page.locator('.results[data-state="done"] .station-item').first().waitFor()
        await page.locator('#map[data-ready="true"]').waitFor({ timeout: 20_000 })
        expect(await violations(page)).toEqual([])
        await page.locator('.station-item').first().click()
        await page.locator('.station-card').waitFor()
        expect(await violations(page)).toEqual([])
        await page.locator('.lang-switch').click()
        expect(await violations(page)).toEqual([])
        await page.locator('.station-card .back-button').click()
        await page.locator('.request-open').click()
        await page.locator('.request-form').waitFor()
        expect(await violations(page)).toEqual([])
        await page.context().close()
      })

      it('manager: sign-in and the report form', async () => {
        const { page } = await open('/manager')
        await page.locator('#signin-username').waitFor()
        expect(await violations(page)).toEqual([])
        await signInPage(page, 'manager001')
        await page.locator('.report-form').waitFor()
        expect(await violations(page)).toEqual([])
        await page.context().close()
      })

      it('planner: sign-in and an analysis with suggested sites', async () => {
        const { page } = await open('/planner')
        await page.locator('#signin-username').waitFor()
        expect(await violations(page)).toEqual([])
        await signInPage(page, 'planner')
        await page.locator('.summary[data-state="done"]').waitFor({ timeout: 30_000 })
        expect(await violations(page)).toEqual([])
        await page.locator('.suggest-button').click()
        await page.locator('.suggestions[data-state="done"]').waitFor({ timeout: 30_000 })
        expect(await violations(page)).toEqual([])
        await page.context().close()
      })

      it('the OGC API’s pages for people', async () => {
        const { page } = await open('/ogc?f=html')
        for (const path of [
          '/ogc?f=html',
          '/ogc/conformance?f=html',
          '/ogc/collections?f=html',
          '/ogc/collections/stations?f=html',
          '/ogc/collections/stations/items?f=html&limit=20',
          '/ogc/collections/stations/items/7?f=html',
          '/ogc/api?f=html',
        ]) {
          await page.goto(`${server.url}${path}`)
          expect({ path, violations: await violations(page) }).toEqual({ path, violations: [] })
        }
        await page.context().close()
      })

      it('admin: every tab', async () => {
        const { page } = await open('/admin')
        await page.locator('#signin-username').waitFor()
        await signInPage(page, 'admin')
        await page.locator('.admin-tabs').waitFor()
        for (const tab of ['stations', 'accounts', 'imports', 'operations', 'audit']) {
          await page.locator(`.admin-tab[data-tab="${tab}"]`).click()
          await page.locator(`.admin-tab[data-tab="${tab}"][aria-selected="true"]`).waitFor()
          // each tab loads its rows: wait until the network has settled
          await page.waitForLoadState('networkidle')
          expect({ tab, violations: await violations(page) }).toEqual({ tab, violations: [] })
        }
        await page.context().close()
      })
    })
  }
})
