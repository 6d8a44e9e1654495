import { afterAll, beforeAll, expect, it } from 'vitest'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import request from 'supertest'
import { describeEachBackend } from '../../../test/db.ts'
import { seedTime, signIn } from '../../../test/app.ts'
import { startServer } from '../../../test/server.ts'
import { toolAvailable } from '../../../test/tools.ts'

const run = promisify(execFile)
const hasGdal = toolAvailable('ogr2ogr')

/** GDAL's OGC API – Features driver as a GIS user runs it, against the real server. */
describeEachBackend('GDAL reads the OGC API', (db) => {
  let server: Awaited<ReturnType<typeof startServer>>
  let dir: string
  let token: string

  const gdal = async (tool: string, args: string[], env: Record<string, string> = {}) => {
    const { stdout } = await run(tool, args, {
      env: { ...process.env, ...env },
      maxBuffer: 64 * 1024 * 1024,
    })
    return stdout
  }
  const count = async (where = '') => {
    const { rows } = await db().knex.raw(
      `SELECT count(*)::int AS n FROM stations s WHERE s.state <> 'retired' ${where}`,
    )
    return rows[0].n as number
  }
  /** Copies a layer into a GeoPackage and returns `ogrinfo -so`'s summary of it. */
  async function copy(layer: string, file: string, extra: string[] = [], env = {}) {
    const out = path.join(dir, file)
    await gdal(
      'ogr2ogr',
      ['-f', 'GPKG', out, `OAPIF:${server.url}/ogc`, layer, '-oo', 'PAGE_SIZE=1000', ...extra],
      env,
    )
    return { out, summary: await gdal('ogrinfo', ['-so', out, layer]) }
  }
  const featureCount = (summary: string) => Number(/Feature Count: (\d+)/.exec(summary)?.[1])

  beforeAll(async () => {
    if (!hasGdal) return
    const now = await seedTime(db())
    server = await startServer(db(), { clock: () => now })
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'yizhan-gdal-'))
    const cookie = await signIn(server.app, 'planner')
    const minted = await request(server.app)
      .post('/api/v1/auth/tokens')
      .set('Cookie', cookie)
      .send({ name: 'qgis', scopes: ['read', 'plan'] })
    token = minted.body.token
  })
  afterAll(async () => {
    await server?.close()
    if (dir) fs.rmSync(dir, { recursive: true, force: true })
  })

  it.skipIf(!hasGdal)(
    'ogrinfo lists the collections; a planner’s token adds requests and gaps',
    async () => {
      const anon = await gdal('ogrinfo', ['-ro', '-q', `OAPIF:${server.url}/ogc`])
      expect(anon).toMatch(/1: stations/)
      expect(anon).not.toMatch(/station_requests/)
      const signed = await gdal('ogrinfo', ['-ro', '-q', `OAPIF:${server.url}/ogc`], {
        GDAL_HTTP_HEADERS: `Authorization: Bearer ${token}`,
      })
      expect(signed).toMatch(/1: stations/)
      expect(signed).toMatch(/2: station_requests/)
      expect(signed).toMatch(/3: coverage_gaps/)
    },
  )

  it.skipIf(!hasGdal)(
    'ogr2ogr copies every station into a GeoPackage, with the live columns as typed fields',
    async () => {
      const { out, summary } = await copy('stations', 'stations.gpkg')
      expect(featureCount(summary)).toBe(await count())
      const field = (name: string) => new RegExp(`^${name}: (.+) \\(`, 'm').exec(summary)?.[1]
      expect(field('name')).toBe('String')
      expect(field('capacity')).toBe('Integer')
      expect(field('occupancy')).toBe('Integer')
      expect(field('available_spaces')).toBe('Integer')
      expect(field('open_now')).toBe('Integer(Boolean)')
      expect(field('stale')).toBe('Integer(Boolean)')
      expect(field('availability')).toBe('String')
      expect(field('reported_at')).toBe('DateTime')
      expect(field('supply_drinking_water')).toBe('Integer')
      expect(field('supply_drinking_water_low')).toBe('Integer(Boolean)')
      expect(summary).toMatch(/ID\["EPSG",4326\]/)

      // the values are the API's: one station, read back from the GeoPackage
      const { rows } = await db().knex.raw(
        `SELECT id FROM stations WHERE state = 'active' ORDER BY id LIMIT 1 OFFSET 100`,
      )
      const id = rows[0].id as number
      const station = (await request(server.app).get(`/api/v1/stations/${id}`)).body
      const line = await gdal('ogrinfo', [
        '-q',
        out,
        '-sql',
        `SELECT availability, occupancy, name FROM stations WHERE code = '${station.code}'`,
      ])
      expect(line).toContain(`availability (String) = ${station.status.availability}`)
      expect(line).toContain(`occupancy (Integer) = ${station.status.occupancy}`)
      expect(line).toContain(`name (String) = ${station.name}`)
    },
  )

  it.skipIf(!hasGdal)(
    'a spatial filter and an attribute filter give the database’s counts',
    async () => {
      const { summary } = await copy('stations', 'box.gpkg', [
        '-spat',
        '112.9',
        '28.1',
        '113.05',
        '28.25',
      ])
      expect(featureCount(summary)).toBe(
        await count(
          `AND s.location::geometry && ST_MakeEnvelope(112.9, 28.1, 113.05, 28.25, 4326)`,
        ),
      )
      const where = await copy('stations', 'city.gpkg', ['-where', "city = '长沙市'"])
      expect(featureCount(where.summary)).toBe(await count(`AND s.city = '长沙市'`))
    },
  )

  it.skipIf(!hasGdal)('gap cells copy as polygons for a bbox, with a planner’s token', async () => {
    const { summary } = await copy(
      'coverage_gaps',
      'gaps.gpkg',
      ['-spat', '112.8', '28.05', '113.1', '28.35'],
      { GDAL_HTTP_HEADERS: `Authorization: Bearer ${token}` },
    )
    expect(summary).toMatch(/Geometry: Polygon/)
    expect(featureCount(summary)).toBeGreaterThan(0)
  })
})
