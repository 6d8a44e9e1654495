import { beforeAll, expect, it } from 'vitest'
import request from 'supertest'
import { PbfReader } from 'pbf'
import { VectorTile } from '@mapbox/vector-tile'
import type { Express } from 'express'
import { describeEachBackend } from '../../../test/db.ts'
import { seedTime, testApp } from '../../../test/app.ts'

function lonLatToTile(lon: number, lat: number, z: number) {
  const n = 2 ** z
  const x = Math.floor(((lon + 180) / 360) * n)
  const r = (lat * Math.PI) / 180
  const y = Math.floor(((1 - Math.log(Math.tan(r) + 1 / Math.cos(r)) / Math.PI) / 2) * n)
  return { x, y }
}

async function getTile(app: Express, z: number, x: number, y: number) {
  const res = await request(app)
    .get(`/api/v1/tiles/stations/${z}/${x}/${y}.mvt`)
    .buffer(true)
    .parse((r, cb) => {
      const chunks: Buffer[] = []
      r.on('data', (c: Buffer) => chunks.push(c))
      r.on('end', () => cb(null, Buffer.concat(chunks)))
    })
  expect(res.status).toBe(200)
  expect(res.headers['content-type']).toBe('application/vnd.mapbox-vector-tile')
  expect(res.headers['cache-control']).toMatch(/max-age/)
  return new VectorTile(new PbfReader(res.body as Buffer))
}

describeEachBackend('station tiles', (db) => {
  let app: Express

  beforeAll(async () => {
    const now = await seedTime(db())
    app = testApp(db(), { clock: () => now })
  })

  it('a z14 tile decodes to exactly the stations inside it, at their positions, with live status', async () => {
    const z = 14
    const { x, y } = lonLatToTile(112.97, 28.19, z)
    const tile = await getTile(app, z, x, y)
    const layer = tile.layers.stations!
    expect(layer).toBeDefined()
    expect(layer.extent).toBe(4096)

    const { rows: expected } = await db().knex.raw(
      `SELECT s.id, ST_X(s.location::geometry) AS lon, ST_Y(s.location::geometry) AS lat, s.name, s.capacity
         FROM stations s
        WHERE ST_Intersects(ST_Transform(s.location::geometry, 3857), ST_TileEnvelope(?, ?, ?))
          AND s.state <> 'retired' ORDER BY s.id`,
      [z, x, y],
    )
    expect(expected.length).toBeGreaterThan(0)
    const features = Array.from({ length: layer.length }, (_, i) => layer.feature(i))
    const inside = features.filter((f) => {
      const [[p]] = f.loadGeometry() as unknown as [[{ x: number; y: number }]]
      return p.x >= 0 && p.x < 4096 && p.y >= 0 && p.y < 4096
    })
    expect(inside.map((f) => f.properties.id).sort((a, b) => Number(a) - Number(b))).toEqual(
      expected.map((r: { id: number }) => r.id),
    )
    for (const f of inside) {
      const e = expected.find((r: { id: number }) => r.id === f.properties.id)
      const g = f.toGeoJSON(x, y, z).geometry as unknown as { coordinates: [number, number] }
      expect(g.coordinates[0]).toBeCloseTo(e.lon, 3)
      expect(g.coordinates[1]).toBeCloseTo(e.lat, 3)
      expect(f.properties.name).toBe(e.name)
      expect(f.properties.capacity).toBe(e.capacity)
      expect(['open', 'full', 'closed', 'temporarily_closed', 'unknown']).toContain(
        f.properties.availability,
      )
    }
    // Status in the tile is the same as the API's for that station.
    const one = inside[0]!
    const api = await request(app).get(`/api/v1/stations/${one.properties.id}`)
    expect(one.properties.availability).toBe(api.body.status.availability)
    expect(one.properties.available_spaces).toBe(api.body.status.available_spaces)
  })

  it('low-zoom tiles over Hunan hold every station once, merged where they overlap', async () => {
    const z = 6
    const nw = lonLatToTile(108.7, 30.2, z)
    const se = lonLatToTile(114.3, 24.6, z)
    let total = 0
    let features = 0
    for (let x = nw.x; x <= se.x; x++) {
      for (let y = nw.y; y <= se.y; y++) {
        const layer = (await getTile(app, z, x, y)).layers.stations
        for (let i = 0; i < (layer?.length ?? 0); i++) {
          const f = layer!.feature(i)
          const [[p]] = f.loadGeometry() as unknown as [[{ x: number; y: number }]]
          if (p.x < 0 || p.x >= 4096 || p.y < 0 || p.y >= 4096) continue
          total += Number(f.properties.point_count)
          features++
        }
      }
    }
    const [row] = await db().knex('stations').whereNot('state', 'retired').count({ n: '*' })
    expect(total).toBe(Number(row!.n))
    expect(features).toBeLessThan(total)
    expect(features).toBeGreaterThan(100)
  })

  it('an empty tile is a valid empty tile', async () => {
    const tile = await getTile(app, 10, 0, 0)
    expect(tile.layers.stations?.length ?? 0).toBe(0)
  })
})
