import { afterAll, beforeAll, expect, it } from 'vitest'
import type { Browser } from 'playwright-core'
import ExcelJS from 'exceljs'
import { describeEachBackend } from '../../../test/db.ts'
import { browserAvailable, launchBrowser } from '../../../test/browser.ts'
import { startServer } from '../../../test/server.ts'
import {
  DESKTOP,
  layoutProblems,
  openPage,
  saveScreenshot,
  signInPage,
} from '../../../test/webPages.ts'

const hasBrowser = browserAvailable()
const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'

/** Console errors other than the 401 a browser logs before anyone has signed in. */
const unexpected = (errors: string[]) =>
  errors.filter((e) => !/^Failed to load resource: .*401/.test(e))

/** A workbook as union staff make them: Chinese headers, GCJ-02 coordinates copied from Amap. */
async function workbook(amenities: string): Promise<Buffer> {
  const book = new ExcelJS.Workbook()
  const sheet = book.addWorksheet('驿站')
  sheet.addRow(['编号', '名称', '城市', '区县', '经度', '纬度', '设施', '座位数', '开放时间'])
  sheet.addRow([
    'ADM-001',
    '五一广场新驿站',
    '长沙市',
    '芙蓉区',
    112.9853,
    28.1994,
    '饮用水、热水',
    8,
    '24/7',
  ])
  sheet.addRow([
    'ADM-002',
    '湘江中路新驿站',
    '长沙市',
    '天心区',
    112.9701,
    28.1912,
    amenities,
    6,
    'Mo-Su 07:00-22:00',
  ])
  return Buffer.from(await book.xlsx.writeBuffer())
}

describeEachBackend('admin console in a real browser', (db, backend) => {
  let browser: Browser
  let server: Awaited<ReturnType<typeof startServer>>

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
    'an admin imports a GCJ-02 workbook (one bad row, fixed), makes a manager who reports, and the audit shows it',
    async () => {
      const { page, errors } = await openPage(browser, `${server.url}/admin`, { viewport: DESKTOP })
      await signInPage(page, 'admin')
      await page.locator('.admin-tabs').waitFor()
      await page.locator('#map[data-ready="true"]').waitFor({ timeout: 20_000 })
      await expect.poll(() => page.locator('.admin-stations tbody tr').count()).toBeGreaterThan(10)
      await saveScreenshot(page, 'admin-stations', backend)

      // Import: the check finds the bad row and writes nothing.
      await page.locator('.admin-tab[data-tab="imports"]').click()
      await page.locator('select[name="crs"]').selectOption('gcj02')
      const upload = async (buffer: Buffer) => {
        await page
          .locator('.admin-imports input[name="file"]')
          .setInputFiles({ name: '驿站.xlsx', mimeType: XLSX, buffer })
        await page.locator('.admin-imports .admin-actions .primary-button').first().click()
      }
      await upload(await workbook('饮用水|桑拿'))
      const errorRows = page.locator('.admin-result tbody tr')
      await expect.poll(() => errorRows.count()).toBe(1)
      expect(await errorRows.first().textContent()).toContain('桑拿')
      expect(await page.locator('.confirm-import').count()).toBe(0)
      expect(await db().knex('stations').where('code', 'like', 'ADM-%')).toEqual([])
      await saveScreenshot(page, 'admin-imports', backend)

      // Fixed, checked again: two new stations on the map, then imported.
      await upload(await workbook('饮用水|无线网络'))
      const confirm = page.locator('.confirm-import')
      await confirm.waitFor()
      expect(await page.locator('.admin-summary').textContent()).toMatch(/2/)
      await confirm.click()
      await expect
        .poll(() => page.locator('.admin-imports .admin-status').first().textContent())
        .toMatch(/已导入/)
      const imported = await db().knex('stations').where('code', 'like', 'ADM-%').orderBy('code')
      expect(imported.map((s) => s.code)).toEqual(['ADM-001', 'ADM-002'])
      expect(imported[1].amenities).toEqual(['drinking_water', 'wifi'])

      // A manager for the two new stations, with a password the admin chooses.
      await page.locator('.admin-tab[data-tab="accounts"]').click()
      await page.locator('.admin-accounts input[name="username"]').fill('adm-manager')
      await page.locator('.admin-accounts input[name="password"]').fill('adm-manager-password')
      await page.locator('.admin-accounts input[name="stations"]').fill('ADM-001, ADM-002')
      await page.locator('.admin-accounts button[type="submit"]').click()
      await expect
        .poll(() => page.locator('.admin-accounts tbody').textContent())
        .toContain('adm-manager')
      await saveScreenshot(page, 'admin-accounts', backend)
      const manager = await db().knex('users').where({ username: 'adm-manager' }).first()
      const managed = await db()
        .knex('station_managers')
        .where({ user_id: manager.id })
        .orderBy('station_id')
      expect(managed.map((m) => m.station_id)).toEqual(imported.map((s) => s.id))

      // The manager signs in on their phone page and reports.
      const phone = await openPage(browser, `${server.url}/manager`, {
        viewport: { width: 390, height: 844 },
      })
      await signInPage(phone.page, 'adm-manager', 'adm-manager-password')
      await phone.page.locator('.report-form').waitFor()
      await phone.page.locator('.submit-report').click()
      await phone.page.locator('.report-message.notice-ok').waitFor()
      expect(unexpected(phone.errors)).toEqual([])
      await phone.page.context().close()
      const reports = await db()
        .knex('status_reports')
        .whereIn(
          'station_id',
          imported.map((s) => s.id),
        )
      expect(reports).toHaveLength(1)

      // Operations and the audit log.
      await page.locator('.admin-tab[data-tab="operations"]').click()
      await page.locator('.admin-operations h3').first().waitFor()
      await saveScreenshot(page, 'admin-operations', backend)
      await page.locator('.admin-tab[data-tab="audit"]').click()
      const audit = page.locator('.admin-audit tbody')
      await expect.poll(() => audit.locator('tr').count()).toBeGreaterThanOrEqual(3)
      const text = await audit.textContent()
      expect(text).toContain('user.create')
      expect(text).toContain('station.import')
      expect(text).toContain('ADM-002')
      await saveScreenshot(page, 'admin-audit', backend)

      expect(await layoutProblems(page, ['.admin-tab', '.admin-audit button'])).toEqual([])
      expect(unexpected(errors)).toEqual([])
      await page.context().close()
    },
    120_000,
  )
})
