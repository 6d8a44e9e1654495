import { execFile } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { promisify } from 'node:util'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import request from 'supertest'
import type { z } from 'zod'
import { describeEachBackend } from '../../test/db.ts'
import { adminAndManager, testApp } from '../../test/app.ts'
import { startServer } from '../../test/server.ts'
import { apiDocument } from './apiDocument.ts'
import { ogcDocument } from './ogc/document.ts'
import { tokensResponse } from './auth/schema.ts'
import { meta } from './meta/schema.ts'
import { alertsResponse } from './reports/schema.ts'
import { stationRequestPage } from './requests/schema.ts'
import { nearestResponse, outlineFeature, stationPage } from './stations/schema.ts'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
const OUT = path.join(ROOT, '.cache/openapi')
const bin = (name: string) => path.join(ROOT, 'node_modules/.bin', name)
const run = promisify(execFile)
// Imported by a computed path: the project's type-check must not follow it into the generated
// types, which exist only after this test has made them.
const CLIENT = path.join(ROOT, 'test/openapi-client/client.ts')

/** Runs a tool and returns what it printed; all of its output is in the failure when it fails. */
async function tool(name: string, args: string[]) {
  try {
    return (await run(bin(name), args, { cwd: ROOT, timeout: 120_000 })).stdout
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string }
    throw new Error(`${name} failed:\n${e.stdout ?? ''}${e.stderr ?? e.message}`, { cause: err })
  }
}

// The document's file and the client generated from it, as an integrator would make them.
beforeAll(async () => {
  fs.mkdirSync(OUT, { recursive: true })
  fs.writeFileSync(path.join(OUT, 'openapi.json'), JSON.stringify(apiDocument(), null, 2))
  await tool('openapi-typescript', ['.cache/openapi/openapi.json', '-o', '.cache/openapi/api.ts'])
}, 120_000)

describe('the OpenAPI document', () => {
  it('passes the linter: redocly recommended rules and ours, no error, no warning', async () => {
    const out = await tool('redocly', [
      'lint',
      '--config',
      'redocly.yaml',
      '--format',
      'json',
      '.cache/openapi/openapi.json',
    ])
    const report = JSON.parse(out)
    expect(report.problems).toEqual([])
    expect(report.totals).toMatchObject({ errors: 0, warnings: 0 })
  }, 120_000)

  it('the OGC API’s OpenAPI 3.0 document passes the same linter', async () => {
    fs.writeFileSync(path.join(OUT, 'ogc.json'), JSON.stringify(ogcDocument(), null, 2))
    const out = await tool('redocly', [
      'lint',
      '--config',
      'redocly.yaml',
      '--format',
      'json',
      '.cache/openapi/ogc.json',
    ])
    const report = JSON.parse(out)
    expect(report.problems).toEqual([])
    expect(report.totals).toMatchObject({ errors: 0, warnings: 0 })
  }, 120_000)

  it('types a generated client: the client type-checks and its deliberate mistakes do not', async () => {
    await tool('tsc', ['-p', 'test/openapi-client/tsconfig.json'])
    const generated = fs.readFileSync(path.join(OUT, 'api.ts'), 'utf8')
    expect(generated).toMatch(/lat: number;/)
    expect(generated).toMatch(/open_now\?: boolean;/)
    expect(generated).toMatch(/open_for\?: number;/)
    expect(generated).toMatch(/order\?: "open_first" \| "distance";/)
    expect(generated).toMatch(/closes_at: string \| null;/)
  }, 120_000)

  it('types every numeric parameter as a bounded number, not a string', () => {
    const doc = apiDocument()
    const numeric =
      /^(lat|lon|limit|radius_m|open_for|id|weeks|minutes|min_stations|cell_m|k|z|x|y)$/
    let checked = 0
    for (const item of Object.values(doc.paths ?? {})) {
      for (const op of Object.values(item as Record<string, { parameters?: unknown[] }>)) {
        for (const p of (op.parameters ?? []) as {
          name: string
          schema: { type: string; minimum?: number }
        }[]) {
          if (!numeric.test(p.name)) continue
          expect(p.schema.type, p.name).toMatch(/^(number|integer)$/)
          expect(p.schema.minimum, p.name).toBeTypeOf('number')
          checked++
        }
      }
    }
    expect(checked).toBeGreaterThanOrEqual(30)
  })
})

describeEachBackend('the documented answers are the real ones', (db) => {
  let server: Awaited<ReturnType<typeof startServer>>
  let token: string
  let adminToken: string
  let stationId: number

  beforeAll(async () => {
    server = await startServer(db())
    const app = testApp(db())
    const signedIn = await adminAndManager(app)
    stationId = signedIn.stationId
    const mint = async (cookie: string, scopes: string[]) =>
      (
        await request(app)
          .post('/api/v1/auth/tokens')
          .set('Cookie', cookie)
          .send({ name: 'integration', scopes })
      ).body.token as string
    token = await mint(signedIn.manager, ['read', 'report'])
    adminToken = await mint(signedIn.admin, ['read', 'plan'])
    await request(app)
      .post('/api/v1/station-requests')
      .send({ location: { lon: 112.95, lat: 28.2 }, note: 'openapi test' })
  })
  afterAll(() => server?.close())

  it('a generated client finds, lists and reports, and gets 412 on a stale ETag', async () => {
    const { yizhanClient, namesInBbox, nearestWithWater, reportTwiceOnOneRead } = await import(
      CLIENT
    )
    const client = yizhanClient(server.url, { Authorization: `Bearer ${token}` })
    const near = await nearestWithWater(client, 28.2, 112.98)
    expect(near.length).toBe(3)
    for (const s of near) {
      expect(s.amenities).toContain('drinking_water')
      expect(s.open_now).toBe(true)
    }
    const listed = await namesInBbox(client, [112.8, 28.0, 113.2, 28.4])
    expect(listed.names).toHaveLength(5)
    expect(listed.next).toMatch(/^\d+$/)
    const reported = await reportTwiceOnOneRead(client, stationId)
    expect(reported.first).toBe(201)
    expect(reported.second).toBe(412)
    expect(reported.problem).toBe('Precondition Failed')
  })

  it('answers parse with the schemas the document is built from', async () => {
    const get = async <S extends z.ZodType>(url: string, schema: S) => {
      const res = await fetch(server.url + url, {
        headers: { Authorization: `Bearer ${adminToken}` },
      })
      expect(res.status, url).toBe(200)
      const parsed = schema.safeParse(await res.json())
      expect(parsed.error?.issues ?? [], url).toEqual([])
      return parsed.data!
    }
    const near = await get('/api/v1/stations/nearest?lat=28.2&lon=112.98&limit=5', nearestResponse)
    expect(near.results).toHaveLength(5)
    const page = await get('/api/v1/stations?bbox=112.8,28.0,113.2,28.4&limit=20', stationPage)
    expect(page.features).toHaveLength(20)
    await get('/api/v1/stations/outline', outlineFeature)
    await get('/api/v1/meta', meta)
    await get('/api/v1/alerts', alertsResponse)
    expect((await get('/api/v1/auth/tokens', tokensResponse)).tokens.length).toBeGreaterThan(0)
    const requests = await get(
      '/api/v1/station-requests?bbox=112.8,28.0,113.2,28.4',
      stationRequestPage,
    )
    expect(requests.features.length).toBeGreaterThan(0)
  })
})
