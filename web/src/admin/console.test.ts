import { afterAll, beforeAll, expect, it } from 'vitest'
import type { Browser } from 'playwright-core'
import { describeEachBackend } from '../../../test/db.ts'
import { browserAvailable, launchBrowser } from '../../../test/browser.ts'
import { startServer } from '../../../test/server.ts'
import {
  layoutProblems,
  openPage,
  PHONE,
  saveScreenshot,
  signInPage,
} from '../../../test/webPages.ts'

const hasBrowser = browserAvailable()

const unexpected = (errors: string[]) =>
  errors.filter((e) => !/^Failed to load resource: .*(401|403)/.test(e))

describeEachBackend('admin console: stations and accounts by hand', (db, backend) => {
  let browser: Browser
  let server: Awaited<ReturnType<typeof startServer>>
  const station = (code: string) =>
    db()
      .knex('stations')
      .select(
        'id',
        'name',
        'state',
        'city',
        db().knex.raw('ST_X(location::geometry) AS lon'),
        db().knex.raw('ST_Y(location::geometry) AS lat'),
      )
      .where({ code })
      .first()

  beforeAll(async () => {
    if (!hasBrowser) return
    server = await startServer(db())
    browser = await launchBrowser()
  })
  afterAll(async () => {
    await browser?.close()
    await server?.close()
  })

  it.skipIf(!hasBrowser)(
    'creates a station by clicking the map, edits it, drags it, retires and restores it',
    async () => {
      const { page, errors } = await openPage(browser, `${server.url}/admin`)
      await signInPage(page, 'admin')
      const map = page.locator('#map[data-ready="true"]')
      await map.waitFor({ timeout: 20_000 })
      await page.locator('.admin-toolbar .primary-button').click()
      const box = (await map.boundingBox())!
      await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2)
      const form = page.locator('.admin-editor form')
      await expect
        .poll(() => form.locator('input[name="lonlat"]').inputValue())
        .toMatch(/\d+\.\d+, \d+\.\d+/)
      await form.locator('input[name="code"]').fill('UI-001')
      await form.locator('input[name="name"]').fill('手工新建驿站')
      await form.locator('input[name="city"]').fill('长沙市')
      await form.locator('input[value="wifi"]').check()
      await form.locator('button[type="submit"]').click()
      await expect.poll(async () => (await station('UI-001'))?.name).toBe('手工新建驿站')
      const created = await station('UI-001')

      // Paste GCJ-02 coordinates: stored as WGS-84, a few hundred metres away.
      await page.locator('.admin-toolbar input[type="search"]').fill('UI-001')
      await page.locator('.admin-list .link-button', { hasText: 'UI-001' }).click()
      const edit = page.locator('.admin-editor form')
      await edit.locator('select[name="crs"]').selectOption('gcj02')
      await edit.locator('input[name="lonlat"]').fill('112.9800, 28.2000')
      await edit.locator('input[name="lonlat"]').press('Tab')
      await edit.locator('input[name="name"]').fill('手工新建驿站（改名）')
      await edit.locator('button[type="submit"]').click()
      await expect.poll(async () => (await station('UI-001'))?.name).toBe('手工新建驿站（改名）')
      const pasted = await station('UI-001')
      expect(Math.abs(pasted.lon - 112.98)).toBeGreaterThan(0.002)
      expect(Math.abs(pasted.lat - 28.2)).toBeLessThan(0.01)

      // Drag the marker, save: the station moves.
      const marker = page.locator('.maplibregl-marker')
      const at = (await marker.boundingBox())!
      await page.mouse.move(at.x + at.width / 2, at.y + at.height - 4)
      await page.mouse.down()
      await page.mouse.move(at.x + at.width / 2 + 60, at.y + at.height - 4, { steps: 8 })
      await page.mouse.up()
      await page.locator('.admin-editor button[type="submit"]').click()
      await expect.poll(async () => (await station('UI-001'))?.lon).not.toBe(pasted.lon)
      expect((await station('UI-001')).lon).toBeGreaterThan(pasted.lon)

      await page.locator('.admin-editor .danger-button').click()
      await expect.poll(async () => (await station('UI-001'))?.state).toBe('retired')
      await page.locator('.admin-editor .secondary-button', { hasText: '恢复运营' }).click()
      await expect.poll(async () => (await station('UI-001'))?.state).toBe('active')

      const actions = await db()
        .knex('audit_log')
        .where({ station_id: created.id })
        .orderBy('id')
        .pluck('action')
      expect(actions).toEqual([
        'station.create',
        'station.update',
        'station.update',
        'station.update',
        'station.update',
      ])
      expect(unexpected(errors)).toEqual([])
      await page.context().close()
    },
    120_000,
  )

  it.skipIf(!hasBrowser)('disables an account and resets a password, on a phone', async () => {
    const { page, errors } = await openPage(browser, `${server.url}/admin?tab=accounts`, {
      viewport: PHONE,
      isMobile: true,
      hasTouch: true,
    })
    await signInPage(page, 'admin')
    await page.locator('.admin-accounts input[name="username"]').fill('phone-made')
    await page.locator('.admin-accounts select[name="role"]').selectOption('planner')
    await page.locator('.admin-accounts button[type="submit"]').click()
    const note = page.locator('.admin-accounts > .admin-status')
    await expect.poll(() => note.textContent()).toMatch(/phone-made 的一次性密码：[A-Za-z2-9]{16}/)
    const first = /：([A-Za-z2-9]{16})/.exec((await note.textContent())!)![1]!
    const row = page.locator('.admin-accounts tbody tr', { hasText: 'phone-made' })
    await row.locator('.link-button', { hasText: '重置密码' }).click()
    await expect.poll(() => note.textContent()).toMatch(/^[A-Za-z2-9]{16}$/)
    const second = (await note.textContent())!
    expect(second).not.toBe(first)
    await row.locator('.link-button', { hasText: '停用' }).click()
    await expect.poll(() => row.textContent()).toContain('已停用')
    const user = await db().knex('users').where({ username: 'phone-made' }).first()
    expect(user.disabled_at).not.toBeNull()
    const login = await fetch(`${server.url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'phone-made', password: second }),
    })
    expect(login.status).toBe(401)
    expect(
      await layoutProblems(page, [
        '.admin-tab',
        '.admin-accounts button[type="submit"]',
        '.nav-link',
      ]),
    ).toEqual([])
    await saveScreenshot(page, 'admin-accounts-phone', backend)
    expect(unexpected(errors)).toEqual([])
    await page.context().close()
  })
})
