import crypto from 'node:crypto'
import { LRUCache } from 'lru-cache'
import type { ChangedStation, FeedObserver } from '../live/feed.ts'
import type { ReportedRow, Station } from '../stations/queries.ts'
import type { StatusRules } from '../stations/status.ts'
import { tileXAt, tileYAt } from './coords.ts'
import { MARGIN, type RenderedTile } from './queries.ts'
import { MAX_ZOOM } from './schema.ts'

/** The change feed as the cache needs it: to hear changes, and whether it hears them now. */
export interface TileFeed {
  observe(observer: FeedObserver): void
  readonly up: boolean
}

/** What the cache reports to the metrics. */
export interface TileCacheEvents {
  lookup(outcome: 'hit' | 'miss' | 'expired'): void
  evicted(): void
  invalidated(cause: 'change' | 'resync', tiles: number): void
}

export interface CachedTile extends RenderedTile {
  etag: string
  /** When it was rendered (epoch ms by the status clock): it says nothing about before. */
  renderedAt: number
}

interface Entry extends CachedTile {
  z: number
}

/** A tile being rendered; `stale` once a change inside it was heard meanwhile. */
interface Pending {
  z: number
  x: number
  y: number
  stale: boolean
  tile: Promise<CachedTile>
}

/** Bytes an entry costs besides its tile: key, entry object, the LRU's slots. */
const ENTRY_OVERHEAD = 200
/** Slack on the margin, so rounding in PostGIS's envelope cannot leave a tile out. */
const EPSILON = 1e-6

/** The tiles (x0..x1, y0..y1) at zoom z whose query, margin included, selects a station here. */
function tilesAround(lon: number, lat: number, z: number) {
  const n = 2 ** z
  const fx = tileXAt(lon, z)
  const fy = tileYAt(lat, z)
  const m = MARGIN + EPSILON
  const clamp = (v: number) => Math.min(n - 1, Math.max(0, Math.floor(v)))
  return { x0: clamp(fx - m), x1: clamp(fx + m), y0: clamp(fy - m), y1: clamp(fy + m) }
}

/** A weak ETag of the tile's bytes, as Express makes one, computed once per tile. */
const etagOf = (body: Buffer) =>
  `W/"${body.length.toString(16)}-${crypto.createHash('sha1').update(body).digest('base64').slice(0, 27)}"`

/**
 * Encoded tiles of this node in a byte-bounded LRU, keyed by (z, x, y). The change feed drops
 * the tiles, at every zoom that has any, whose area (with the margin) holds a station that
 * changed, where it is and where it was; a tile also expires when the clock would change a
 * live field of one of its features (see statusChangesAt). While the feed is down nothing is
 * read from or put into the cache, and its return flushes it: changes in between went unheard.
 */
export class TileCache implements FeedObserver {
  private readonly lru: LRUCache<string, Entry>
  /** Cached tiles per zoom: invalidation looks only at zooms that have some. */
  private readonly zooms = new Array<number>(MAX_ZOOM + 1).fill(0)
  private readonly pending = new Map<string, Pending>()

  constructor(
    maxBytes: number,
    private readonly render: (
      z: number,
      x: number,
      y: number,
      rules: StatusRules,
    ) => Promise<RenderedTile>,
    private readonly feed: TileFeed,
    private readonly events: TileCacheEvents,
  ) {
    this.lru = new LRUCache<string, Entry>({
      maxSize: maxBytes,
      sizeCalculation: (e) => e.body.length + ENTRY_OVERHEAD,
      onInsert: (e, _key, reason) => {
        if (reason === 'add') this.zooms[e.z]!++
      },
      dispose: (e, _key, reason) => {
        // 'set' replaces an entry under the same key: still one tile
        if (reason !== 'set') this.zooms[e.z]!--
        if (reason === 'evict') this.events.evicted()
      },
    })
    feed.observe(this)
  }

  /** The tile, from the cache when it is still right at `rules.now`; `hit` says which. */
  async get(
    z: number,
    x: number,
    y: number,
    rules: StatusRules,
  ): Promise<{ tile: CachedTile; hit: boolean }> {
    const now = rules.now.getTime()
    const fits = (t: CachedTile) => t.renderedAt <= now && now < t.validUntil
    if (!this.feed.up) return { tile: await this.rendered(z, x, y, rules), hit: false }
    const hit = this.cached(z, x, y, rules)
    if (hit) return { tile: hit, hit: true }
    const key = `${z}/${x}/${y}`
    const cached = this.lru.get(key)
    this.events.lookup(cached ? 'expired' : 'miss')
    if (cached) this.lru.delete(key)
    // one render of a tile at a time: the others wait for it
    const joined = this.pending.get(key)
    if (joined) {
      const tile = await joined.tile
      if (fits(tile)) return { tile, hit: false }
    }
    const pending: Pending = { z, x, y, stale: false, tile: this.rendered(z, x, y, rules) }
    this.pending.set(key, pending)
    try {
      const tile = await pending.tile
      // a change heard while it was read may be missing from it: not kept
      if (!pending.stale && tile.body.length + ENTRY_OVERHEAD <= this.lru.maxSize)
        this.lru.set(key, { ...tile, z })
      return { tile, hit: false }
    } finally {
      if (this.pending.get(key) === pending) this.pending.delete(key)
    }
  }

  /** The tile when the cache has it right at `rules.now`, without waiting for anything. */
  cached(z: number, x: number, y: number, rules: StatusRules): CachedTile | undefined {
    if (!this.feed.up) return undefined
    const now = rules.now.getTime()
    const tile = this.lru.get(`${z}/${x}/${y}`)
    if (!tile || !(tile.renderedAt <= now && now < tile.validUntil)) return undefined
    this.events.lookup('hit')
    return tile
  }

  /** Cached tiles, and their bytes as the bound counts them. */
  stats() {
    return { tiles: this.lru.size, bytes: this.lru.calculatedSize }
  }

  changed(stations: ChangedStation[]) {
    let dropped = 0
    for (const { station, before } of stations) {
      dropped += this.drop(station.location.lon, station.location.lat)
      if (before) dropped += this.drop(before.lon, before.lat)
    }
    if (dropped) this.events.invalidated('change', dropped)
  }

  ownReport(_row: ReportedRow, { location }: Station) {
    const dropped = this.drop(location.lon, location.lat)
    if (dropped) this.events.invalidated('change', dropped)
  }

  resync() {
    const tiles = this.lru.size
    this.lru.clear()
    for (const p of this.pending.values()) p.stale = true
    this.pending.clear()
    if (tiles) this.events.invalidated('resync', tiles)
  }

  private async rendered(z: number, x: number, y: number, rules: StatusRules) {
    const tile = await this.render(z, x, y, rules)
    return { ...tile, etag: etagOf(tile.body), renderedAt: rules.now.getTime() }
  }

  /** Drops the tiles, cached or being rendered, that show a station at (lon, lat). */
  private drop(lon: number, lat: number) {
    let dropped = 0
    for (let z = 0; z <= MAX_ZOOM; z++) {
      if (!this.zooms[z]) continue
      const { x0, x1, y0, y1 } = tilesAround(lon, lat, z)
      for (let x = x0; x <= x1; x++)
        for (let y = y0; y <= y1; y++) if (this.lru.delete(`${z}/${x}/${y}`)) dropped++
    }
    for (const [key, p] of this.pending) {
      const { x0, x1, y0, y1 } = tilesAround(lon, lat, p.z)
      if (p.x >= x0 && p.x <= x1 && p.y >= y0 && p.y <= y1) {
        p.stale = true
        this.pending.delete(key)
      }
    }
    return dropped
  }
}
