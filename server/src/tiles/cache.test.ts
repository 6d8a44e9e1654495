import crypto from 'node:crypto'
import { afterAll, beforeAll, expect, it } from 'vitest'
import request from 'supertest'
import { PbfReader } from 'pbf'
import { VectorTile } from '@mapbox/vector-tile'
import { describeEachBackend } from '../../../test/db.ts'
import { seedTime, signIn, testConfig } from '../../../test/app.ts'
import { startServer } from '../../../test/server.ts'
import type { Database } from '../db/knex.ts'
import type { FeedObserver } from '../live/feed.ts'
import { statusRules } from '../stations/status.ts'
import { TileCache, type TileCacheEvents } from './cache.ts'
import { tileXAt, tileYAt } from './coords.ts'
import { stationsTile, type RenderedTile } from './queries.ts'

const STALE_MS = testConfig().STALE_AFTER_MINUTES * 60_000

const tileAt = (lon: number, lat: number, z: number) => ({
  z,
  x: Math.floor(tileXAt(lon, z)),
  y: Math.floor(tileYAt(lat, z)),
})
type Tile = ReturnType<typeof tileAt>

/** The feature standing for station `id`, or undefined. */
function featureOf(body: Buffer, id: number) {
  const layer = new VectorTile(new PbfReader(body)).layers.stations
  for (let i = 0; i < (layer?.length ?? 0); i++) {
    const f = layer!.feature(i)
    if (f.properties.id === id) return f.properties
  }
  return undefined
}

async function getTile(url: string, t: Tile, headers: Record<string, string> = {}) {
  const res = await fetch(`${url}/api/v1/tiles/stations/${t.z}/${t.x}/${t.y}.mvt`, { headers })
  return {
    status: res.status,
    cache: res.headers.get('x-cache'),
    etag: res.headers.get('etag'),
    body: Buffer.from(await res.arrayBuffer()),
  }
}

interface Located {
  id: number
  lon: number
  lat: number
}

/** Active stations at least `km` from each other's z14 tiles (so none shows in another's). */
async function stationsApart(db: Database, n: number): Promise<Located[]> {
  const { rows } = await db.knex.raw(
    `SELECT s.id, ST_X(s.location::geometry) AS lon, ST_Y(s.location::geometry) AS lat
       FROM stations s JOIN station_status st ON st.station_id = s.id
      WHERE s.state = 'active' ORDER BY s.id`,
  )
  const picked: Located[] = []
  for (const r of rows as Located[]) {
    const t = tileAt(r.lon, r.lat, 14)
    const far = picked.every((p) => {
      const q = tileAt(p.lon, p.lat, 14)
      return Math.abs(q.x - t.x) > 2 || Math.abs(q.y - t.y) > 2
    })
    if (far) picked.push(r)
    if (picked.length === n) return picked
  }
  throw new Error('not enough stations')
}

describeEachBackend('the tile cache on the change feed', (db) => {
  let now: Date
  let nodeA: Awaited<ReturnType<typeof startServer>>
  let nodeB: Awaited<ReturnType<typeof startServer>>
  let manager: string
  let managed: number
  /** Batches each node's feed delivered that named a station, by station id. */
  const heard = [new Map<number, number>(), new Map<number, number>()]
  const heardOn = (node: 0 | 1, id: number) => heard[node]!.get(id) ?? 0

  beforeAll(async () => {
    now = await seedTime(db())
    nodeA = await startServer(db(), { clock: () => now })
    nodeB = await startServer(db(), { clock: () => now })
    ;[nodeA, nodeB].forEach((node, i) =>
      // heard after the tile cache, which observed first
      node.feed.observe({
        changed(batch) {
          for (const id of new Set(batch.map((c) => c.station.id)))
            heard[i]!.set(id, (heard[i]!.get(id) ?? 0) + 1)
        },
        ownReport({ id }) {
          heard[i]!.set(id, (heard[i]!.get(id) ?? 0) + 1)
        },
        resync() {},
      }),
    )
    manager = await signIn(nodeA.server as never, 'manager001')
    managed = (await request(nodeA.url).get('/api/v1/auth/me').set('Cookie', manager)).body
      .station_ids[0]
  })
  afterAll(async () => {
    await nodeA?.close()
    await nodeB?.close()
  })

  const located = async (id: number): Promise<Located> => {
    const { rows } = await db().knex.raw(
      'SELECT id, ST_X(location::geometry) AS lon, ST_Y(location::geometry) AS lat FROM stations WHERE id = ?',
      [id],
    )
    return rows[0]
  }
  /** Runs a change to stations, and waits until both nodes heard it from the feed. */
  async function changed<T>(ids: number | number[], change: () => Promise<T>): Promise<T> {
    const all = [ids].flat()
    const before = all.map((id) => [heardOn(0, id), heardOn(1, id)])
    const result = await change()
    for (const [i, id] of all.entries()) {
      await expect.poll(() => heardOn(0, id)).toBeGreaterThan(before[i]![0]!)
      await expect.poll(() => heardOn(1, id)).toBeGreaterThan(before[i]![1]!)
    }
    return result
  }
  const report = async (occupancy: number) => {
    const res = await request(nodeA.url)
      .post(`/api/v1/stations/${managed}/reports`)
      .set('Cookie', manager)
      .set('Idempotency-Key', crypto.randomUUID())
      .send({ occupancy })
    expect(res.status).toBe(201)
    return res.body.status.version as number
  }

  it('a second request is a hit with the same bytes and ETag; If-None-Match answers 304', async () => {
    const s = await located(managed)
    const t = tileAt(s.lon, s.lat, 14)
    const first = await getTile(nodeA.url, t)
    const second = await getTile(nodeA.url, t)
    expect(first.status).toBe(200)
    expect(first.cache).toBe('miss')
    expect(second.cache).toBe('hit')
    expect(second.body.equals(first.body)).toBe(true)
    expect(featureOf(second.body, managed)).toBeDefined()
    expect(second.etag).toBe(first.etag)
    // (not with fetch, which says no-cache to a conditional request)
    const again = await request(nodeA.url)
      .get(`/api/v1/tiles/stations/${t.z}/${t.x}/${t.y}.mvt`)
      .set('If-None-Match', first.etag!)
    expect(again.status).toBe(304)
  })

  it('a report drops the tiles showing its station at every cached zoom, and no tile elsewhere', async () => {
    const s = await located(managed)
    // the active station farthest away: in other tiles at every zoom below
    const { rows } = await db().knex.raw(
      `SELECT id, ST_X(location::geometry) AS lon, ST_Y(location::geometry) AS lat FROM stations
        WHERE state = 'active' ORDER BY location <-> (SELECT location FROM stations WHERE id = ?) DESC
        LIMIT 1`,
      [managed],
    )
    const elsewhere: Located = rows[0]
    const zooms = [8, 10, 12, 14, 16]
    const own = zooms.map((z) => tileAt(s.lon, s.lat, z))
    const other = zooms.map((z) => tileAt(elsewhere.lon, elsewhere.lat, z))
    for (const t of [...own, ...other]) await getTile(nodeA.url, t)
    for (const t of [...own, ...other]) expect((await getTile(nodeA.url, t)).cache).toBe('hit')

    const version = await changed(managed, () => report(2))
    for (const t of own) {
      const after = await getTile(nodeA.url, t)
      expect(after.cache, `z${t.z}`).toBe('miss')
      // below z12 a cell shows its lowest id only
      if (t.z >= 12) expect(featureOf(after.body, managed)).toMatchObject({ version, occupancy: 2 })
    }
    for (const [i, t] of other.entries()) {
      expect(t, 'another tile').not.toEqual(own[i])
      expect((await getTile(nodeA.url, t)).cache, `z${t.z}`).toBe('hit')
    }
  })

  it('a station moved drops the tile it left and the tile it entered', async () => {
    const [from, to] = await stationsApart(db(), 2)
    const left = tileAt(from!.lon, from!.lat, 14)
    const entered = tileAt(to!.lon, to!.lat, 14)
    for (const t of [left, entered]) await getTile(nodeA.url, t)
    expect((await getTile(nodeA.url, left)).cache).toBe('hit')
    expect(featureOf((await getTile(nodeA.url, entered)).body, from!.id)).toBeUndefined()

    await changed(from!.id, () =>
      db()
        .knex('stations')
        .where({ id: from!.id })
        .update({
          location: db().knex.raw('ST_SetSRID(ST_MakePoint(?, ?), 4326)::geography', [
            to!.lon + 0.0001,
            to!.lat,
          ]),
        }),
    )
    const a = await getTile(nodeA.url, left)
    const b = await getTile(nodeA.url, entered)
    expect([a.cache, b.cache]).toEqual(['miss', 'miss'])
    expect(featureOf(a.body, from!.id)).toBeUndefined()
    expect(featureOf(b.body, from!.id)).toBeDefined()
  })

  it('a report through node A shows in node B’s cached tile as soon as B’s feed hears it', async () => {
    const s = await located(managed)
    const t = tileAt(s.lon, s.lat, 14)
    await getTile(nodeB.url, t)
    expect((await getTile(nodeB.url, t)).cache).toBe('hit')
    const delays: number[] = []
    for (let i = 0; i < 5; i++) {
      const version = await report(i)
      const reported = performance.now()
      for (;;) {
        const { body } = await getTile(nodeB.url, t)
        if (featureOf(body, managed)?.version === version) break
        expect(performance.now() - reported).toBeLessThan(5_000)
        await new Promise((r) => setTimeout(r, 2))
      }
      delays.push(performance.now() - reported)
    }
    // the feed gathers notifications for 5 ms; the budget (100 ms) is measured by the benchmark
    console.log(`report on A visible in B's tile after ${delays.map((d) => d.toFixed(0))} ms`)
    expect(Math.max(...delays)).toBeLessThan(1_000)
  })

  it('a tile is rendered again when the clock makes one of its stations stale', async () => {
    const [s] = await stationsApart(db(), 3)
    const t = tileAt(s!.lon, s!.lat, 14)
    const layer = new VectorTile(new PbfReader((await getTile(nodeA.url, t)).body)).layers.stations!
    const ids = Array.from({ length: layer.length }, (_, i) =>
      Number(layer.feature(i).properties.id),
    )
    // every station in the tile open around the clock and reported at once: the one moment
    // the clock changes the tile is when they turn stale together
    const reportedAt = new Date(now.getTime() - 60_000)
    await changed(ids, () =>
      db().knex.transaction(async (trx) => {
        await trx('stations').whereIn('id', ids).update({ opening_hours: '24/7' })
        await trx('station_status')
          .whereIn('station_id', ids)
          .update({ reported_at: reportedAt, version: trx.raw('version + 1') })
      }),
    )
    expect(featureOf((await getTile(nodeA.url, t)).body, s!.id)?.stale).toBe(false)
    const was = now
    try {
      // stale once older than STALE_AFTER_MINUTES: the last moment still fresh is a hit
      now = new Date(reportedAt.getTime() + STALE_MS)
      const fresh = await getTile(nodeA.url, t)
      expect(fresh.cache).toBe('hit')
      now = new Date(reportedAt.getTime() + STALE_MS + 1)
      const stale = await getTile(nodeA.url, t)
      expect(stale.cache).toBe('miss')
      expect(featureOf(stale.body, s!.id)?.stale).toBe(true)
    } finally {
      now = was
    }
  })
})

/** The feed as the cache sees it, driven by the test; tiles from the real database. */
function fakeFeed() {
  let observer: FeedObserver | undefined
  return {
    up: true,
    observe(o: FeedObserver) {
      observer = o
    },
    get observer() {
      return observer!
    },
  }
}

function countingEvents() {
  const counts = { hit: 0, miss: 0, expired: 0, evicted: 0, change: 0, resync: 0 }
  const events: TileCacheEvents = {
    lookup: (outcome) => counts[outcome]++,
    evicted: () => counts.evicted++,
    invalidated: (cause, n) => (counts[cause] += n),
  }
  return { counts, events }
}

describeEachBackend('the tile cache', (db) => {
  let rules: ReturnType<typeof statusRules>
  let z14: Tile[]
  let station: Located

  beforeAll(async () => {
    const now = await seedTime(db())
    rules = statusRules(testConfig().STALE_AFTER_MINUTES, () => now)
    const apart = await stationsApart(db(), 40)
    station = apart[0]!
    z14 = apart.map((s) => tileAt(s.lon, s.lat, 14))
  })
  const render = (z: number, x: number, y: number, r = rules()) =>
    stationsTile(db().knex, z, x, y, r)

  it('keeps no more bytes than its bound, evicting the least recently used', async () => {
    const sizes = await Promise.all(z14.map((t) => render(t.z, t.x, t.y)))
    const bound = sizes.slice(0, 10).reduce((n, t) => n + t.body.length + 200, 0)
    const { counts, events } = countingEvents()
    const cache = new TileCache(bound, render, fakeFeed(), events)
    for (const t of z14) {
      await cache.get(t.z, t.x, t.y, rules())
      expect(cache.stats().bytes).toBeLessThanOrEqual(bound)
    }
    expect(cache.stats().tiles).toBeLessThan(z14.length)
    expect(counts.evicted).toBe(z14.length - cache.stats().tiles)
    // the most recent is there, the first long gone
    const last = z14.at(-1)!
    expect((await cache.get(last.z, last.x, last.y, rules())).hit).toBe(true)
    expect((await cache.get(z14[0]!.z, z14[0]!.x, z14[0]!.y, rules())).hit).toBe(false)
  })

  it('a resync drops every tile', async () => {
    const feed = fakeFeed()
    const { counts, events } = countingEvents()
    const cache = new TileCache(2 ** 24, render, feed, events)
    for (const t of z14.slice(0, 5)) await cache.get(t.z, t.x, t.y, rules())
    expect(cache.stats().tiles).toBe(5)
    feed.observer.resync()
    expect(cache.stats()).toEqual({ tiles: 0, bytes: 0 })
    expect(counts.resync).toBe(5)
    for (const t of z14.slice(0, 5))
      expect((await cache.get(t.z, t.x, t.y, rules())).hit).toBe(false)
  })

  it('neither reads nor keeps tiles while the feed is down', async () => {
    const feed = fakeFeed()
    const cache = new TileCache(2 ** 24, render, feed, countingEvents().events)
    const t = z14[0]!
    await cache.get(t.z, t.x, t.y, rules())
    feed.up = false
    expect((await cache.get(t.z, t.x, t.y, rules())).hit).toBe(false)
    await cache.get(z14[1]!.z, z14[1]!.x, z14[1]!.y, rules())
    expect(cache.stats().tiles).toBe(1)
  })

  it('does not keep a tile read before a change inside it that was heard while it was read', async () => {
    const feed = fakeFeed()
    let release: () => void = () => {}
    const gate = new Promise<void>((r) => (release = r))
    const slow = async (z: number, x: number, y: number, r = rules()): Promise<RenderedTile> => {
      const tile = await render(z, x, y, r)
      await gate
      return tile
    }
    const cache = new TileCache(2 ** 24, slow, feed, countingEvents().events)
    const t = tileAt(station.lon, station.lat, 14)
    const reading = cache.get(t.z, t.x, t.y, rules())
    // heard while the tile is being read: it may have been read before the commit
    feed.observer.changed([
      {
        row: {} as never,
        station: { id: station.id, location: { lon: station.lon, lat: station.lat } } as never,
      },
    ])
    // a request arriving now does not wait for the read that may be stale
    const later = cache.get(t.z, t.x, t.y, rules())
    release()
    expect((await reading).hit).toBe(false)
    expect((await later).hit).toBe(false)
    // the later one, started after the change, is kept
    expect(cache.stats().tiles).toBe(1)
    expect((await cache.get(t.z, t.x, t.y, rules())).hit).toBe(true)
  })

  it('renders a tile once for requests that arrive together', async () => {
    let renders = 0
    const counted = (z: number, x: number, y: number, r = rules()) => {
      renders++
      return render(z, x, y, r)
    }
    const cache = new TileCache(2 ** 24, counted, fakeFeed(), countingEvents().events)
    const t = z14[2]!
    const answers = await Promise.all(
      Array.from({ length: 8 }, () => cache.get(t.z, t.x, t.y, rules())),
    )
    expect(renders).toBe(1)
    expect(new Set(answers.map((a) => a.tile.etag)).size).toBe(1)
  })
})
