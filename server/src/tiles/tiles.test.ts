import { beforeAll, expect, it } from 'vitest'
import request from 'supertest'
import { PbfReader } from 'pbf'
import { VectorTile } from '@mapbox/vector-tile'
import type { App } from '../app.ts'
import type { z } from 'zod'
import { describeEachBackend } from '../../../test/db.ts'
import { seedTime, testApp, testConfig } from '../../../test/app.ts'
import { stationsTile, stationsTileMvt } from './queries.ts'
import { OpenSchedules } from './schedules.ts'
import { tileJson } from './schema.ts'
import { decodeStations } from '../../../test/changes.ts'

function lonLatToTile(lon: number, lat: number, z: number) {
  const n = 2 ** z
  const x = Math.floor(((lon + 180) / 360) * n)
  const r = (lat * Math.PI) / 180
  const y = Math.floor(((1 - Math.log(Math.tan(r) + 1 / Math.cos(r)) / Math.PI) / 2) * n)
  return { x, y }
}

async function getTile(app: App, z: number, x: number, y: number) {
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

describeEachBackend('station tiles', (db, backend) => {
  let app: App

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

  /** The features drawn inside the tile (not in its margin), and the stations they stand for. */
  async function insideTile(z: number, x: number, y: number) {
    const layer = (await getTile(app, z, x, y)).layers.stations
    const features = Array.from({ length: layer?.length ?? 0 }, (_, i) => layer!.feature(i)).filter(
      (f) => {
        const [[p]] = f.loadGeometry() as unknown as [[{ x: number; y: number }]]
        return p.x >= 0 && p.x < 4096 && p.y >= 0 && p.y < 4096
      },
    )
    const stations = features.reduce((n, f) => n + Number(f.properties.point_count), 0)
    return { features, stations }
  }

  it('tiles z0–z8 over Hunan hold every station once, merged where they overlap', async () => {
    const [row] = await db().knex('stations').whereNot('state', 'retired').count({ n: '*' })
    for (let z = 0; z <= 8; z++) {
      const nw = lonLatToTile(108.7, 30.2, z)
      const se = lonLatToTile(114.3, 24.6, z)
      let total = 0
      let features = 0
      for (let x = nw.x; x <= se.x; x++) {
        for (let y = nw.y; y <= se.y; y++) {
          const tile = await insideTile(z, x, y)
          total += tile.stations
          features += tile.features.length
        }
      }
      expect(total, `z${z}`).toBe(Number(row!.n))
      expect(features, `z${z}`).toBeLessThan(total)
    }
  })

  it('tiles z9–z16 hold the stations inside them (a sample of stations across Hunan)', async () => {
    const sample: { id: number; lon: number; lat: number }[] = (
      await db().knex.raw(
        `SELECT id, ST_X(location::geometry) AS lon, ST_Y(location::geometry) AS lat
           FROM stations WHERE state <> 'retired' AND id % 500 = 1 ORDER BY id`,
      )
    ).rows
    expect(sample.length).toBeGreaterThan(5)
    for (let z = 9; z <= 16; z++) {
      for (const s of sample) {
        const { x, y } = lonLatToTile(s.lon, s.lat, z)
        const tile = await insideTile(z, x, y)
        const [row] = await db()
          .knex('stations')
          .whereNot('state', 'retired')
          .whereRaw(
            'ST_Intersects(ST_Transform(location::geometry, 3857), ST_TileEnvelope(?, ?, ?))',
            [z, x, y],
          )
          .count({ n: '*' })
        expect(tile.stations, `z${z} station ${s.id}`).toBe(Number(row!.n))
        if (z >= 12) expect(tile.features.map((f) => f.properties.id)).toContain(s.id)
      }
    }
  })

  it('an empty tile is a valid empty tile', async () => {
    const tile = await getTile(app, 10, 0, 0)
    expect(tile.layers.stations?.length ?? 0).toBe(0)
  })

  it.skipIf(backend !== 'postgis')(
    'ST_AsMVT and vt-pbf make the same tiles: features, positions, properties, and how long they hold',
    async () => {
      const knex = db().knex
      const sample: { id: number; lon: number; lat: number }[] = (
        await knex.raw(
          `SELECT id, ST_X(location::geometry) AS lon, ST_Y(location::geometry) AS lat
             FROM stations WHERE state <> 'retired' AND id % 300 = 7 ORDER BY id`,
        )
      ).rows
      expect(sample.length).toBeGreaterThan(5)
      // several low supplies per station: their order in the tile must agree too
      await knex('station_supplies')
        .whereIn(
          'station_id',
          sample.map((s) => s.id),
        )
        .update({ level: 0 })
      const now = await seedTime(db())
      // one cache of open schedules across the clock's moves, as a server keeps it
      const schedules = new OpenSchedules()
      let features = 0
      // now, and later when reports went stale and opening hours turned
      for (const hours of [0, 1.5, 7, 13]) {
        const rules = {
          now: new Date(now.getTime() + hours * 3_600_000),
          staleAfterMs: testConfig().STALE_AFTER_MINUTES * 60_000,
        }
        for (const z of [0, 5, 8, 10, 11, 12, 14, 16]) {
          for (const s of sample) {
            const { x, y } = lonLatToTile(s.lon, s.lat, z)
            const vt = await stationsTile(knex, z, x, y, rules)
            const mvt = await stationsTileMvt(knex, z, x, y, rules, schedules)
            const a = decodeStations(vt.body)
            expect(decodeStations(mvt.body), `z${z}/${x}/${y} at +${hours} h`).toEqual(a)
            expect(mvt.validUntil, `z${z}/${x}/${y} at +${hours} h`).toBe(vt.validUntil)
            features += a.length
          }
        }
      }
      expect(features).toBeGreaterThan(1000)
    },
  )
  it.skipIf(backend !== 'postgis')(
    'ST_AsMVT tiles read the open schedules once, and again when a tile shows one added since',
    async () => {
      const knex = db().knex
      const now = await seedTime(db())
      const rules = { now, staleAfterMs: testConfig().STALE_AFTER_MINUTES * 60_000 }
      const [s] = (
        await knex.raw(
          `SELECT id, ST_X(location::geometry) AS lon, ST_Y(location::geometry) AS lat
             FROM stations WHERE state = 'active' ORDER BY id LIMIT 1`,
        )
      ).rows as { id: number; lon: number; lat: number }[]
      const { x, y } = lonLatToTile(s!.lon, s!.lat, 14)
      const propsOf = (body: Buffer) => {
        const layer = new VectorTile(new PbfReader(body)).layers.stations!
        return Array.from({ length: layer.length }, (_, i) => layer.feature(i).properties).find(
          (p) => p.id === s!.id,
        )
      }
      const reads: string[] = []
      const heard = (q: { sql: string }) => {
        if (q.sql.includes('opening_schedules')) reads.push(q.sql)
      }
      knex.on('query', heard)
      try {
        const schedules = new OpenSchedules()
        await stationsTileMvt(knex, 14, x, y, rules, schedules)
        await stationsTileMvt(knex, 14, x, y, rules, schedules)
        await stationsTileMvt(knex, 14, x + 1, y, rules, schedules)
        expect(reads).toHaveLength(1)
        // hours no station had: open around the clock, in a time zone none used
        for (const timezone of ['Asia/Urumqi', 'Asia/Kashgar']) {
          await knex('stations').where({ id: s!.id }).update({ opening_hours: '24/7', timezone })
          const mvt = await stationsTileMvt(knex, 14, x, y, rules, schedules)
          const vt = await stationsTile(knex, 14, x, y, rules)
          expect(propsOf(mvt.body)).toMatchObject({ open_now: true })
          expect(propsOf(mvt.body)).toEqual(propsOf(vt.body))
          expect(mvt.validUntil).toBe(vt.validUntil)
        }
        expect(reads).toHaveLength(3)
      } finally {
        knex.off('query', heard)
      }
    },
  )
})

describeEachBackend('station TileJSON', (db) => {
  let app: App

  beforeAll(async () => {
    const now = await seedTime(db())
    app = testApp(db(), { clock: () => now })
  })

  it('describes the tiles: absolute URL, zoom range, extent of the stations, fields', async () => {
    const res = await request(app).get('/api/v1/tiles/stations.json')
    expect(res.status).toBe(200)
    expect(res.headers['content-type']).toMatch(/^application\/json/)
    expect(res.headers['cache-control']).toBe('public, max-age=300')
    expect(tileJson.safeParse(res.body).error?.issues ?? []).toEqual([])
    const doc = res.body as z.output<typeof tileJson>
    expect(doc.tilejson).toBe('3.0.0')
    expect(doc.tiles).toHaveLength(1)
    expect(doc.tiles[0]).toMatch(
      /^http:\/\/127\.0\.0\.1:\d+\/api\/v1\/tiles\/stations\/\{z\}\/\{x\}\/\{y\}\.mvt$/,
    )
    // the zoom range is the one the tile route accepts
    expect([doc.minzoom, doc.maxzoom]).toEqual([0, 22])
    expect((await request(app).get('/api/v1/tiles/stations/22/0/0.mvt')).status).toBe(200)
    expect((await request(app).get('/api/v1/tiles/stations/23/0/0.mvt')).status).toBe(400)

    const { rows } = await db().knex.raw(
      `SELECT min(ST_X(location::geometry)) AS w, min(ST_Y(location::geometry)) AS s,
              max(ST_X(location::geometry)) AS e, max(ST_Y(location::geometry)) AS n
         FROM stations WHERE state <> 'retired'`,
    )
    const [w, s, e, n] = doc.bounds
    expect(w).toBeCloseTo(rows[0].w, 5)
    expect(s).toBeCloseTo(rows[0].s, 5)
    expect(e).toBeCloseTo(rows[0].e, 5)
    expect(n).toBeCloseTo(rows[0].n, 5)
    // the middle of the stations, at the largest zoom that shows them all in 1024 pixels
    expect(doc.center[0]).toBeCloseTo((w + e) / 2, 6)
    expect(doc.center[1]).toBeCloseTo((s + n) / 2, 6)
    const pixels = (zoom: number) => {
      const corner = (lon: number, lat: number) => lonLatToTile(lon, lat, zoom + 9)
      const [a, b] = [corner(w, n), corner(e, s)]
      return Math.max(b.x - a.x, b.y - a.y)
    }
    expect(pixels(doc.center[2])).toBeLessThanOrEqual(1024)
    expect(pixels(doc.center[2] + 1)).toBeGreaterThan(1024)
    expect(doc.vector_layers.map((l) => l.id)).toEqual(['stations'])
  })

  it('lists exactly the properties the tiles carry, with their types', async () => {
    const { fields } = (await request(app).get('/api/v1/tiles/stations.json')).body
      .vector_layers[0] as { fields: Record<string, string> }
    const seen = new Map<string, Set<string>>()
    // a merged tile (z8) and a street tile (z14)
    for (const [z, lon, lat] of [
      [8, 112.97, 28.19],
      [14, 112.97, 28.19],
    ] as const) {
      const { x, y } = lonLatToTile(lon, lat, z)
      const layer = (await getTile(app, z, x, y)).layers.stations!
      expect(layer.length).toBeGreaterThan(0)
      for (let i = 0; i < layer.length; i++) {
        for (const [k, v] of Object.entries(layer.feature(i).properties)) {
          seen.set(k, (seen.get(k) ?? new Set()).add(typeof v))
        }
      }
    }
    expect([...seen.keys()].sort()).toEqual(Object.keys(fields).sort())
    const word = { number: 'Number', string: 'String', boolean: 'Boolean' } as const
    for (const [k, types] of seen) {
      expect(
        [...types].map((t) => word[t as keyof typeof word]),
        k,
      ).toEqual([fields[k]])
    }
  })

  it('answers a conditional GET with 304, and builds the URL from the proxy headers', async () => {
    // each supertest request has another port: one Host keeps the document the same
    const first = await request(app)
      .get('/api/v1/tiles/stations.json')
      .set('Host', 'localhost:3000')
    expect(first.headers.etag).toBeTruthy()
    expect(first.body.tiles).toEqual([
      'http://localhost:3000/api/v1/tiles/stations/{z}/{x}/{y}.mvt',
    ])
    const again = await request(app)
      .get('/api/v1/tiles/stations.json')
      .set('Host', 'localhost:3000')
      .set('If-None-Match', first.headers.etag!)
    expect(again.status).toBe(304)
    expect(again.text).toBe('')

    // supertest connects from loopback, which the app trusts as its proxy
    const proxied = await request(app)
      .get('/api/v1/tiles/stations.json')
      .set('Host', 'yizhan.example.org')
      .set('X-Forwarded-Proto', 'https')
    expect(proxied.body.tiles).toEqual([
      'https://yizhan.example.org/api/v1/tiles/stations/{z}/{x}/{y}.mvt',
    ])
    // another URL is another document, with another ETag
    expect(proxied.headers.etag).not.toBe(first.headers.etag)
  })

  it('covers China while there are no stations', async () => {
    const knex = db().knex
    const states: { id: number; state: string }[] = await knex('stations').select('id', 'state')
    await knex('stations').update({ state: 'retired' })
    try {
      const doc = (await request(app).get('/api/v1/tiles/stations.json')).body
      expect(doc.bounds).toEqual([73.5, 18.1, 135.1, 53.6])
      expect(doc.center).toEqual([104.3, 35.85, 3])
    } finally {
      for (const state of new Set(states.map((s) => s.state))) {
        await knex('stations')
          .whereIn(
            'id',
            states.filter((s) => s.state === state).map((s) => s.id),
          )
          .update({ state })
      }
    }
  })
})
