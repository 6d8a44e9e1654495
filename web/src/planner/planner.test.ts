import fs from 'node:fs'
import gcoord from 'gcoord'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Browser, Page } from 'playwright-core'
import { describeEachBackend } from '../../../test/db.ts'
import { browserAvailable, launchBrowser } from '../../../test/browser.ts'
import { seedTime } from '../../../test/app.ts'
import { startServer } from '../../../test/server.ts'
import {
  apiSignIn,
  DESKTOP,
  layoutProblems,
  openPage,
  PHONE,
  saveScreenshot,
  signInPage,
} from '../../../test/webPages.ts'
import type { GapsResponse, SuggestionsResponse, WhatIfResponse } from '../shared/api.ts'
import { CHANGSHA, DEFAULTS, paramsFromSearch, paramsToSearch } from './params.ts'

const hasBrowser = browserAvailable()
/** What the planner opens with: Changsha, 1 km reach, 500 m cells, one station enough. */
const BBOX = '112.6,27.95,113.2,28.5'
const QUERY = `bbox=${BBOX}&radius_m=1000&cell_m=500`
/** Greater Changsha at 100 m cells: about 500,000 cells, twice what the API allows. */
const TOO_LARGE = 'bbox=112.4,27.7,113.6,28.7&radius_m=1000&cell_m=100'
/** Places in Changsha where someone asked for a station. */
const REQUESTS = [
  { lon: 112.93, lat: 28.23 },
  { lon: 113.05, lat: 28.15 },
  { lon: 112.88, lat: 28.3 },
]

/** Console errors other than the answers the page expects: 401 before sign-in, 400 when asked. */
const unexpected = (errors: string[], allowed = '401') =>
  errors.filter((e) => !new RegExp(`^Failed to load resource: .*\\b(${allowed})\\b`).test(e))

/** Signs in on the page and waits for the first analysis to be drawn. */
async function openPlanner(page: Page) {
  await signInPage(page, 'planner')
  const map = page.locator('#map[data-ready="true"]')
  await map.waitFor({ timeout: 20_000 })
  await page.locator('.summary[data-state="done"]').waitFor({ timeout: 20_000 })
  await expect
    .poll(async () => Number(await map.getAttribute('data-rendered-gaps')), { timeout: 15_000 })
    .toBeGreaterThan(0)
  return map
}

async function api<T>(url: string, cookie: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${url}/api/v1${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { cookie, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`)
  return (await res.json()) as T
}

/** The text of the file a click on `selector` downloads, and its suggested name. */
async function downloaded(page: Page, selector: string) {
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.locator(selector).click(),
  ])
  const text = fs.readFileSync((await download.path())!, 'utf8')
  return { name: download.suggestedFilename(), text }
}

const percent = (ratio: number) => `${(ratio * 100).toFixed(1)}%`
/** Demand as the page writes it in Chinese: whole workers, with the unit. */
const workers = (n: number) => `${n.toLocaleString('zh-CN')} 人`
const distance = (m: number) => (m < 1000 ? `${Math.round(m)} 米` : `${(m / 1000).toFixed(1)} 公里`)
/** A WGS-84 position in GCJ-02 as gcoord puts it, to the 6 decimals of the exports. */
const gcj02 = ([lon, lat]: number[]) =>
  gcoord.transform([lon!, lat!], gcoord.WGS84, gcoord.GCJ02).map((x) => Number(x.toFixed(6)))

describe('planner params in the address', () => {
  it('round-trip, and fall back to the defaults for anything unreadable', () => {
    const time = {
      ...DEFAULTS,
      reach: 'time',
      minutes: 15,
      min_stations: 2,
      include: 'all',
    } as const
    expect(paramsFromSearch(paramsToSearch(time))).toEqual(time)
    expect(paramsFromSearch('')).toEqual(DEFAULTS)
    expect(paramsFromSearch('bbox=1,2,3&cell_m=abc&mode=car&min_stations=7')).toEqual(DEFAULTS)
    expect(paramsFromSearch('bbox=113.2,27.95,112.6,28.5').bbox).toEqual(CHANGSHA)
    expect(paramsToSearch(DEFAULTS)).toBe(QUERY)
  })
})

describeEachBackend('planner view in a real browser', (db, backend) => {
  let browser: Browser
  let server: Awaited<ReturnType<typeof startServer>>
  let now: Date
  let cookie: string

  beforeAll(async () => {
    if (!hasBrowser) return
    now = await seedTime(db())
    server = await startServer(db(), { clock: () => now })
    browser = await launchBrowser()
    cookie = await apiSignIn(server.url, 'planner')
    for (const location of REQUESTS) {
      const res = await fetch(`${server.url}/api/v1/station-requests`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ location, note: 'browser test' }),
      })
      expect(res.status).toBe(201)
    }
  })
  afterAll(async () => {
    await browser?.close()
    await server?.close()
  })

  it.skipIf(!hasBrowser)('tells a manager that this needs a planner account', async () => {
    const { page, errors } = await openPage(browser, `${server.url}/planner`, { now })
    await signInPage(page, 'manager001')
    const message = page.locator('.needs-planner')
    await message.waitFor()
    expect(await message.textContent()).toContain('规划人员')
    expect(await page.locator('#map').count()).toBe(0)
    // and the way out is to sign in as someone else
    await page.locator('.planner-gate-card .primary-button').click()
    await page.locator('#signin-username').waitFor()
    expect(unexpected(errors)).toEqual([])
    await page.context().close()
  })

  it.skipIf(!hasBrowser)(
    'shows the gaps of Changsha at 1 km, 10 suggested sites and a what-if, as the API does',
    async () => {
      const { page, errors } = await openPage(browser, `${server.url}/planner`, { now })
      const map = await openPlanner(page)
      expect(new URL(page.url()).search).toBe(`?${QUERY}`)

      // the summary and the cells are the API's for the same question
      const gaps = await api<GapsResponse>(server.url, cookie, `/coverage/gaps?${QUERY}`)
      const summary = page.locator('.summary')
      const initial = gaps.summary.coverage_ratio!
      expect(gaps.summary.gap_cells).toBeGreaterThan(0)
      expect(Number(await summary.getAttribute('data-ratio'))).toBe(initial)
      expect(Number(await summary.getAttribute('data-gap-cells'))).toBe(gaps.summary.gap_cells)
      expect(Number(await map.getAttribute('data-gap-features'))).toBe(gaps.features.length)
      expect(await summary.locator('.summary-ratio').textContent()).toBe(percent(initial))
      // whole workers, with their unit, and the parts shown add up to the total shown
      const { total_demand, covered_demand, uncovered_demand } = gaps.summary
      expect(covered_demand + uncovered_demand).toBe(total_demand)
      const figure = (key: string) => summary.locator(`[data-figure="${key}"] dd`).textContent()
      expect(await figure('total')).toBe(workers(total_demand))
      expect(await figure('covered')).toBe(workers(covered_demand))
      expect(await figure('uncovered')).toBe(workers(uncovered_demand))
      expect(await figure('gap-demand')).toBe(workers(gaps.summary.gap_demand))

      // the station requests posted above, drawn on the map
      await page.locator('#planner-requests').check()
      await expect
        .poll(async () => Number(await map.getAttribute('data-rendered-requests')))
        .toBe(REQUESTS.length)
      expect(await page.locator('.requests-note').textContent()).toContain(`${REQUESTS.length} 个`)

      // ten suggestions: numbered markers, and the API's cumulative ratios, rising
      await page.locator('.suggest-button').click()
      await page.locator('.suggestions[data-state="done"]').waitFor({ timeout: 20_000 })
      const suggested = await api<SuggestionsResponse>(
        server.url,
        cookie,
        `/coverage/suggestions?${QUERY}&k=10`,
      )
      const ratios = suggested.suggestions.map((s) => s.coverage_ratio!)
      expect(ratios).toHaveLength(10)
      const listed = await page
        .locator('.suggestion-list li')
        .evaluateAll((items) => items.map((i) => Number((i as HTMLElement).dataset.ratio)))
      expect(listed).toEqual(ratios)
      for (const [i, ratio] of ratios.entries())
        expect(ratio).toBeGreaterThan(i ? ratios[i - 1]! : initial)
      expect(ratios.at(-1)).toBeGreaterThan(initial)
      const pins = page.locator('.site-pin')
      expect(await pins.allTextContents()).toEqual(ratios.map((_, i) => String(i + 1)))
      expect(
        await pins.evaluateAll((nodes) =>
          nodes.map((n) => [
            Number((n as HTMLElement).dataset.lon),
            Number((n as HTMLElement).dataset.lat),
          ]),
        ),
      ).toEqual(suggested.suggestions.map((s) => s.location))
      expect(await page.locator('.ratio-rise').textContent()).toBe(
        `覆盖率 ${percent(initial)} → ${percent(ratios.at(-1)!)}`,
      )
      // each site named by its district and nearest station (by code), its demand in workers
      const first = suggested.suggestions[0]!
      expect(first.district).toMatch(/[区县市]$/)
      const place =
        `${first.district} · 近 ${first.nearest_station_code} ${first.nearest_station_name} ` +
        distance(first.nearest_distance_m!)
      const card = page.locator('.suggestion-list li').first()
      expect(await card.locator('.suggestion-place').textContent()).toBe(place)
      expect(await card.locator('.suggestion-added').textContent()).toBe(
        `新覆盖 ${workers(first.newly_covered_demand)}`,
      )
      expect(await pins.first().getAttribute('aria-label')).toBe(`建议新址 1：${place}`)
      expect(
        await layoutProblems(page, [
          '.nav-link',
          '.lang-switch',
          '.suggest-button',
          '.suggestion-item',
          '.export-button',
          '.whatif-toggle',
          '.maplibregl-ctrl-zoom-in',
        ]),
      ).toEqual([])
      await page.locator('.suggestions').evaluate((section) => section.scrollIntoView())
      // a pointer left over the list would show as a highlighted row
      await page.mouse.move(DESKTOP.width - 4, DESKTOP.height - 4)
      await saveScreenshot(page, 'planner-desktop', backend)

      // exports: the gap cells and the suggestions, as GeoJSON and as CSV for Excel
      // in WGS-84 unless asked, which the name and the file say
      const geojson = await downloaded(page, '[data-export="gaps-geojson"]')
      expect(geojson.name).toBe('yizhan-gaps-r1000m-c500m-wgs84.geojson')
      const exported = JSON.parse(geojson.text) as GapsResponse & { coordinate_system: string }
      expect(exported.coordinate_system).toBe('WGS-84')
      expect(exported.demand_unit).toBe('workers')
      expect(exported.features.map((f) => f.id)).toEqual(gaps.features.map((f) => f.id))
      expect(exported.features[0]!.properties).toEqual(gaps.features[0]!.properties)
      expect(exported.summary).toEqual(gaps.summary)
      const csv = await downloaded(page, '[data-export="gaps-csv"]')
      expect(csv.name).toBe('yizhan-gaps-r1000m-c500m-wgs84.csv')
      expect(
        csv.text.startsWith(
          '\uFEFF格子编号,中心经度（WGS-84）,中心纬度（WGS-84）,区县,城市,需求（人）,',
        ),
      ).toBe(true)
      const lines = csv.text.slice(1).trimEnd().split('\r\n')
      expect(lines).toHaveLength(gaps.features.length + 1)
      const cell = gaps.features[0]!.properties
      // cell ids ("12,345") hold a comma, so they are quoted; stations go by code and name
      expect(lines[1]).toBe(
        [
          `"${gaps.features[0]!.id}"`,
          ...lines[1]!.split(',').slice(2, 4),
          cell.district,
          cell.city,
          cell.demand,
          cell.covered_demand,
          cell.uncovered_demand,
          cell.requests,
          cell.stations_within_reach,
          cell.nearest_station_code,
          cell.nearest_station_name,
          cell.nearest_station_address,
          cell.nearest_distance_m,
        ].join(','),
      )
      const sites = await downloaded(page, '[data-export="suggestions-csv"]')
      expect(sites.name).toBe('yizhan-suggestions-r1000m-c500m-k10-wgs84.csv')
      const rows = sites.text.slice(1).trimEnd().split('\r\n')
      expect(rows).toHaveLength(11)
      expect(rows[0]).toMatch(/^序号,经度（WGS-84）,纬度（WGS-84）,区县,城市,最近驿站编号,/)
      expect(rows[1]!.split(',').slice(3, 6)).toEqual([
        first.district,
        first.city,
        first.nearest_station_code,
      ])
      expect(rows[10]!.split(',').at(-1)).toBe(String(Number(ratios[9]!.toFixed(6))))
      const points = JSON.parse(
        (await downloaded(page, '[data-export="suggestions-geojson"]')).text,
      )
      expect(points.features).toHaveLength(10)

      // for Amap and Tencent: GCJ-02, gcoord's transform of the WGS-84 coordinates, said so in
      // the name, the CSV header and the GeoJSON (which RFC 7946 would have in WGS-84)
      await page.locator('#planner-export-crs').selectOption('gcj02')
      const gcjSites = await downloaded(page, '[data-export="suggestions-csv"]')
      expect(gcjSites.name).toBe('yizhan-suggestions-r1000m-c500m-k10-gcj02.csv')
      const gcjRows = gcjSites.text.slice(1).trimEnd().split('\r\n')
      expect(gcjRows[0]).toMatch(/^序号,经度（GCJ-02）,纬度（GCJ-02）,/)
      suggested.suggestions.forEach((s, i) => {
        const at = gcjRows[i + 1]!.split(',').slice(1, 3).map(Number)
        expect(at).toEqual(gcj02(s.location))
        // a few hundred metres off in Changsha: not the WGS-84 numbers again
        expect(Math.abs(at[0]! - s.location[0])).toBeGreaterThan(0.003)
      })
      const gcjPoints = await downloaded(page, '[data-export="suggestions-geojson"]')
      expect(gcjPoints.name).toBe('yizhan-suggestions-r1000m-c500m-k10-gcj02.geojson')
      const gcjCollection = JSON.parse(gcjPoints.text)
      expect(gcjCollection.coordinate_system).toBe('GCJ-02')
      expect(gcjCollection.coordinate_note).toMatch(/not the WGS-84 of RFC 7946/)
      expect(
        gcjCollection.features.map(
          (f: { geometry: { coordinates: number[] } }) => f.geometry.coordinates,
        ),
      ).toEqual(suggested.suggestions.map((s) => gcj02(s.location)))
      const gcjCells = await downloaded(page, '[data-export="gaps-geojson"]')
      expect(gcjCells.name).toBe('yizhan-gaps-r1000m-c500m-gcj02.geojson')
      const ring = JSON.parse(gcjCells.text).features[0].geometry.coordinates[0]
      expect(ring).toEqual(gaps.features[0]!.geometry.coordinates[0]!.map(gcj02))
      const gcjCsv = await downloaded(page, '[data-export="gaps-csv"]')
      expect(gcjCsv.name).toBe('yizhan-gaps-r1000m-c500m-gcj02.csv')
      expect(gcjCsv.text).toMatch(/^\uFEFF格子编号,中心经度（GCJ-02）,中心纬度（GCJ-02）,/)

      // what-if: a station where the first suggestion is lifts coverage as the API says
      await page.locator('.whatif-toggle').click()
      const pin = (await pins.first().boundingBox())!
      // the pin's point, 9 px under its circle, touches the site; suggested pins let clicks through
      await page.mouse.click(pin.x + pin.width / 2, pin.y + pin.height + 9)
      const result = page.locator('.whatif-result[data-state="done"]')
      await result.waitFor()
      const site = page.locator('.whatif-pin')
      expect(await site.count()).toBe(1)
      const at = [
        Number(await site.getAttribute('data-lon')),
        Number(await site.getAttribute('data-lat')),
      ]
      const whatIf = await api<WhatIfResponse>(server.url, cookie, '/coverage/what-if', {
        bbox: BBOX.split(',').map(Number),
        radius_m: 1000,
        sites: [at],
      })
      expect(Number(await result.getAttribute('data-before'))).toBe(initial)
      expect(Number(await result.getAttribute('data-after'))).toBe(whatIf.after.coverage_ratio)
      expect(whatIf.after.coverage_ratio).toBeGreaterThan(initial)
      expect(await result.locator('.whatif-ratio').textContent()).toBe(
        `${percent(initial)} → ${percent(whatIf.after.coverage_ratio!)}`,
      )
      // a click on the hypothetical station takes it away again
      await site.click()
      await page.locator('.whatif-result[data-sites="0"]').waitFor()
      expect(await page.locator('.whatif-pin').count()).toBe(0)
      await page.keyboard.press('Escape')
      await expect
        .poll(() => page.locator('.whatif-toggle').getAttribute('aria-pressed'))
        .toBe('false')

      // every cell with demand, for a distance map
      const all = await api<GapsResponse>(server.url, cookie, `/coverage/gaps?${QUERY}&include=all`)
      await page.locator('#planner-all-cells').check()
      await expect.poll(() => map.getAttribute('data-gap-features')).toBe(String(all.summary.cells))
      expect(new URL(page.url()).searchParams.get('include')).toBe('all')
      expect(unexpected(errors)).toEqual([])
      await page.context().close()
    },
  )

  it.skipIf(!hasBrowser)('shows the API’s hint when the area is too large', async () => {
    const { page, errors } = await openPage(browser, `${server.url}/planner?${TOO_LARGE}`, {
      now,
      viewport: DESKTOP,
    })
    await signInPage(page, 'planner')
    const error = page.locator('.summary[data-state="failed"] .analysis-error')
    await error.waitFor({ timeout: 20_000 })
    const res = await fetch(`${server.url}/api/v1/coverage/gaps?${TOO_LARGE}`, {
      headers: { cookie },
    })
    expect(res.status).toBe(400)
    const hint = ((await res.json()) as { errors: { message: string }[] }).errors[0]!.message
    expect(hint).toMatch(/use cell_m=\d+ or more/)
    expect(await error.textContent()).toContain(hint)
    const smallest = /use cell_m=(\d+)/.exec(hint)![1]!
    expect(await page.locator('.use-cell').textContent()).toContain(
      Number(smallest).toLocaleString('zh-CN'),
    )
    // one click takes the hint; the analysis it asks for (nearly 250,000 cells) is not run here
    const asked: string[] = []
    await page.route('**/api/v1/coverage/gaps?*', (route) => {
      asked.push(route.request().url())
      return route.abort()
    })
    await page.locator('.use-cell').click()
    await expect.poll(() => asked.length).toBe(1)
    expect(new URL(asked[0]!).searchParams.get('cell_m')).toBe(smallest)
    expect(await page.locator('#planner-cell').inputValue()).toBe(smallest)
    expect(new URL(page.url()).searchParams.get('cell_m')).toBe(smallest)
    expect(unexpected(errors, '401|400|net::ERR_FAILED')).toEqual([])
    await page.context().close()
  })

  it.skipIf(!hasBrowser)(
    'works on a phone: bottom sheet, large targets, no sideways scroll',
    async () => {
      const { page, errors } = await openPage(browser, `${server.url}/planner`, {
        now,
        viewport: PHONE,
        isMobile: true,
        hasTouch: true,
      })
      const map = await openPlanner(page)
      const controls = ['.nav-link', '.lang-switch', '.sheet-handle', '.legend summary']
      expect(await layoutProblems(page, controls)).toEqual([])
      // the folded sheet still shows the ratio
      const ratio = page.locator('.summary-ratio')
      const sheet = (await page.locator('.panel').boundingBox())!
      expect((await ratio.boundingBox())!.y + 30).toBeLessThan(sheet.y + sheet.height)
      await page.locator('.sheet-handle').click()
      await expect.poll(() => page.locator('.panel').getAttribute('data-sheet')).toBe('half')
      // once it has slid open
      await expect
        .poll(async () => (await page.locator('.panel').boundingBox())!.height)
        .toBeGreaterThan(PHONE.height * 0.45)
      expect(Number(await map.getAttribute('data-rendered-gaps'))).toBeGreaterThan(0)
      expect(
        await layoutProblems(page, [...controls, '.chip', '.analyse-button', '.suggest-button']),
      ).toEqual([])
      await saveScreenshot(page, 'planner-phone', backend)
      await page.locator('.lang-switch').click()
      expect(await page.locator('.summary-ratio-label').textContent()).toBe('of the demand covered')
      expect(await page.locator('[data-figure="total"] dd').textContent()).toMatch(
        /^[\d,]+ workers$/,
      )
      expect(await layoutProblems(page, controls)).toEqual([])
      expect(unexpected(errors)).toEqual([])
      await page.context().close()
    },
  )

  it.skipIf(!hasBrowser)(
    'analyses another demand data set once one is imported, and keeps it in the address',
    async () => {
      const csv = ['lon,lat,weight', '112.97,28.19,40', '112.99,28.21,60'].join('\n')
      const imported = await fetch(`${server.url}/api/v1/imports/demand-points?dataset=survey`, {
        method: 'POST',
        headers: { cookie, 'content-type': 'text/csv' },
        body: csv,
      })
      expect(imported.status).toBe(200)
      const { page, errors } = await openPage(browser, `${server.url}/planner`, { now })
      await openPlanner(page)
      const select = page.locator('#planner-dataset')
      await expect.poll(() => select.isVisible()).toBe(true)
      const asked = page.waitForRequest((r) => /coverage\/gaps\?.*dataset=survey/.test(r.url()))
      await select.selectOption('survey')
      await asked
      await page.locator('.summary[data-state="done"]').waitFor()
      expect(new URL(page.url()).searchParams.get('dataset')).toBe('survey')
      const gaps = await api<GapsResponse>(
        server.url,
        cookie,
        `/coverage/gaps?${QUERY}&dataset=survey`,
      )
      expect(gaps.summary.total_demand).toBeLessThan(200)
      expect(unexpected(errors)).toEqual([])
      await page.context().close()
    },
  )
})
