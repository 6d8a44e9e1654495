import crypto from 'node:crypto'
import { expect } from 'vitest'
import type { Browser, BrowserContextOptions, Page } from 'playwright-core'
import { collectConsoleErrors } from './browser.ts'
import type { Backend } from '../server/src/db/knex.ts'
import { TEST_PASSWORD } from './templates.ts'

export const DESKTOP = { width: 1440, height: 900 }
export const PHONE = { width: 390, height: 844 }

/**
 * A page in a fresh context, its console errors collected. `now` pins the page's clock to the
 * server's, so that "5 minutes ago" means the same on both sides.
 */
export async function openPage(
  browser: Browser,
  url: string,
  opts: BrowserContextOptions & { now?: Date } = {},
): Promise<{ page: Page; errors: string[] }> {
  const { now, ...context } = opts
  const ctx = await browser.newContext({ locale: 'zh-CN', viewport: DESKTOP, ...context })
  const page = await ctx.newPage()
  const errors = collectConsoleErrors(page)
  if (now) await page.clock.setFixedTime(now)
  await page.goto(url)
  return { page, errors }
}

const shots = new URL('../docs/screenshots/', import.meta.url).pathname

/**
 * Saves docs/screenshots/NAME.png when asked (UPDATE_SCREENSHOTS=1), so `npm test` leaves the
 * tree as it was; from the run against the deployed kind of database when there is one.
 */
export async function saveScreenshot(
  page: Page,
  name: string,
  backend: Backend,
  opts: { fullPage?: boolean } = {},
) {
  if (process.env.UPDATE_SCREENSHOTS !== '1') return
  if (backend === 'pglite' && process.env.TEST_DATABASE_URL) return
  await page.screenshot({ path: `${shots}${name}.png`, ...opts })
}

/** The map, once it is ready and has drawn more than a thousand stations. */
export async function mapReady(page: Page) {
  const map = page.locator('#map[data-ready="true"]')
  await map.waitFor({ timeout: 20_000 })
  await expect
    .poll(async () => Number(await map.getAttribute('data-rendered-stations')), { timeout: 15_000 })
    .toBeGreaterThan(1000)
  return map
}

/** Signs in over HTTP and returns the session cookie. */
export async function apiSignIn(url: string, username: string): Promise<string> {
  const res = await fetch(`${url}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password: TEST_PASSWORD }),
  })
  if (res.status !== 200) throw new Error(`sign-in as ${username}: ${res.status}`)
  return res.headers.get('set-cookie')!.split(';')[0]!
}

export async function apiReport(
  url: string,
  cookie: string,
  stationId: number,
  body: { occupancy: number; charging_points_in_use?: number; supplies?: Record<string, number> },
) {
  const res = await fetch(`${url}/api/v1/stations/${stationId}/reports`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'idempotency-key': crypto.randomUUID(),
      cookie,
    },
    body: JSON.stringify(body),
  })
  if (res.status !== 201) throw new Error(`report: ${res.status} ${await res.text()}`)
  return (await res.json()) as {
    id: number
    capacity: number
    status: { version: number; availability: string; available_spaces: number }
  }
}

/**
 * What a person would find wrong with the layout: sideways scrolling, and controls (every shown
 * match of each selector) that are invisible, off screen or smaller than a 44 px touch target.
 */
export function layoutProblems(page: Page, controls: string[]): Promise<string[]> {
  return page.evaluate((selectors) => {
    const problems: string[] = []
    const sideways = (node: Element, name: string) => {
      if (node.scrollWidth > node.clientWidth + 1)
        problems.push(`${name} scrolls sideways (${node.scrollWidth} > ${node.clientWidth})`)
    }
    sideways(document.documentElement, 'the page')
    for (const panel of document.querySelectorAll('.panel-view:not([hidden])'))
      sideways(panel, 'the panel')
    for (const selector of selectors) {
      // matches inside something folded away (display: none) are not shown, so not checked
      const nodes = [...document.querySelectorAll(selector)].filter(
        (n) => n.getClientRects().length,
      )
      if (!nodes.length) problems.push(`${selector}: not shown`)
      for (const node of nodes) {
        const r = node.getBoundingClientRect()
        const where = `${selector} "${(node.textContent ?? '').trim().slice(0, 20)}"`
        if (r.width < 44 || r.height < 44)
          problems.push(`${where}: ${Math.round(r.width)}×${Math.round(r.height)} px`)
        if (r.left < 0 || r.right > window.innerWidth) problems.push(`${where}: off screen`)
        if (getComputedStyle(node).visibility === 'hidden') problems.push(`${where}: hidden`)
      }
    }
    return problems
  }, controls)
}

/** Signs in through the page's own form. */
export async function signInPage(page: Page, username: string, password = TEST_PASSWORD) {
  await page.locator('#signin-username').fill(username)
  await page.locator('#signin-password').fill(password)
  await page.locator('.signin button[type="submit"]').click()
}
