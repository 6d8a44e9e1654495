import { setImmediate } from 'node:timers/promises'
import Fuse from 'fuse.js'
import { pinyin } from 'pinyin-pro'
import type { Knex } from 'knex'
import type { Bbox } from '../../../contract/bbox.ts'
import type { PlaceFeature, PlaceKind } from './schema.ts'
import { placesVersion, stationPlaces, type StationPlaceRow } from './queries.ts'
import { regionPoints, type RegionPoint } from '../stations/queries.ts'

/**
 * One spelling for comparing: full-width folded (NFKC), tone marks and other accents dropped,
 * lower case, no spaces or separators ("Wǔ Yī" and "wuyi" are the same).
 */
export function normalize(text: string): string {
  return text
    .normalize('NFKC')
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[\s·•・'’_]+/gu, '')
}

const syllables = (text: string, pattern?: 'first') =>
  pinyin(text, { toneType: 'none', type: 'array', nonZh: 'consecutive', pattern })

interface Entry {
  feature: PlaceFeature
  name: string
  pinyin: string
  initials: string
  code: string
  address: string
  /** Cities before districts before stations when they match as well. */
  rank: number
}

const KIND_RANK: Record<PlaceKind, number> = { city: 0, district: 1, station: 2, tianditu: 3 }

function entry(feature: PlaceFeature, extra: { code?: string; address?: string } = {}): Entry {
  const name = feature.properties.name
  return {
    feature,
    name: normalize(name),
    pinyin: normalize(syllables(name).join('')),
    initials: normalize(syllables(name, 'first').join('')),
    code: normalize(extra.code ?? ''),
    address: normalize(extra.address ?? ''),
    rank: KIND_RANK[feature.properties.kind],
  }
}

const point = (lon: number, lat: number) => ({
  type: 'Point' as const,
  coordinates: [lon, lat] as [number, number],
})

function stationFeature(s: StationPlaceRow): PlaceFeature {
  return {
    type: 'Feature',
    id: `station:${s.id}`,
    geometry: point(s.lon, s.lat),
    properties: {
      kind: 'station',
      name: s.name,
      province: s.province,
      city: s.city,
      district: s.district,
      station_id: s.id,
      code: s.code,
      address: s.address,
    },
  }
}

function regionFeature(r: RegionPoint): PlaceFeature {
  const kind = r.district ? 'district' : 'city'
  return {
    type: 'Feature',
    id: kind === 'city' ? `city:${r.city}` : `district:${r.city}/${r.district}`,
    geometry: point(r.lon, r.lat),
    bbox: r.bbox,
    properties: {
      kind,
      name: kind === 'city' ? r.city : r.district,
      province: r.province,
      city: r.city,
      district: r.district,
      station_id: null,
      code: null,
      address: null,
    },
  }
}

/** Converting names to pinyin takes a while: let requests in between every so many. */
const BUILD_SLICE = 500
// How `search` ranks: a tier (0 to 3 exact, from 4 fuzzy) decides, then the kind of place,
// then a name's length and the distance from `near`.
const FUZZY_TIER = 4
const KIND_WEIGHT = 0.2
const LENGTH_WEIGHT = 0.001
/** Longer queries are matched exactly (they are pasted more than typed). */
const MAX_FUZZY_LENGTH = 24
/** At most this much is added for distance from `near`, half of it at NEAR_SCALE_KM. */
const NEAR_WEIGHT = 0.15
const NEAR_SCALE_KM = 20

export interface SearchOptions {
  limit: number
  /** Among matches about as good, nearer this point ranks first. */
  near?: { lon: number; lat: number }
}

/** An index of our places, built once from the database. */
export class PlaceSet {
  private constructor(
    private readonly entries: Entry[],
    private readonly fuse: Fuse<Entry>,
    readonly extent: Bbox | null,
    readonly size: number,
  ) {}

  static async build(stations: StationPlaceRow[], regions: RegionPoint[]): Promise<PlaceSet> {
    const entries = regions.map((r) => entry(regionFeature(r)))
    for (let i = 0; i < stations.length; i += BUILD_SLICE) {
      if (i) await setImmediate()
      for (const s of stations.slice(i, i + BUILD_SLICE)) entries.push(entry(stationFeature(s), s))
    }
    const fuse = new Fuse(entries, {
      keys: [
        { name: 'name', weight: 1 },
        { name: 'pinyin', weight: 1 },
        { name: 'initials', weight: 0.7 },
        { name: 'code', weight: 1 },
      ],
      includeScore: true,
      // a place's name may match anywhere in it, with one wrong or missing character in four
      ignoreLocation: true,
      threshold: 0.34,
    })
    const cities = regions.filter((r) => !r.district)
    const extent: Bbox | null = cities.length
      ? [
          Math.min(...cities.map((c) => c.bbox[0])),
          Math.min(...cities.map((c) => c.bbox[1])),
          Math.max(...cities.map((c) => c.bbox[2])),
          Math.max(...cities.map((c) => c.bbox[3])),
        ]
      : null
    return new PlaceSet(entries, fuse, extent, entries.length)
  }

  /**
   * Best match first: a name (or its pinyin, initials, code) equal to the query, then one that
   * starts with it, then one that holds it, then an address that holds it; only when those are
   * too few, fuzzy matches (a typo). Within each, cities before districts before stations,
   * shorter names first and, with `near`, nearer places.
   */
  search(q: string, { limit, near }: SearchOptions): PlaceFeature[] {
    const pattern = normalize(q)
    if (!pattern) return []
    const found = new Map<Entry, number>()
    for (const item of this.entries) {
      const tier = substringTier(item, pattern)
      if (tier !== null) found.set(item, tier)
    }
    // Fuzzy matching costs far more than the rest, and more the longer the query.
    if (found.size < limit && pattern.length <= MAX_FUZZY_LENGTH)
      for (const { item, score } of this.fuse.search(pattern))
        if (!found.has(item)) found.set(item, FUZZY_TIER + (score ?? 1))
    const cost = (item: Entry, tier: number) => {
      let c = tier + KIND_WEIGHT * item.rank + LENGTH_WEIGHT * Math.min(item.name.length, 50)
      if (near) {
        const [lon, lat] = item.feature.geometry.coordinates
        const km = distanceKm(near, { lon, lat })
        c += (NEAR_WEIGHT * km) / (km + NEAR_SCALE_KM)
      }
      return c
    }
    return [...found]
      .map(([item, tier]) => ({ feature: item.feature, cost: cost(item, tier) }))
      .sort((a, b) => a.cost - b.cost)
      .slice(0, limit)
      .map((r) => r.feature)
  }
}

function substringTier(item: Entry, pattern: string): number | null {
  const names = [item.name, item.pinyin, item.initials, item.code]
  if (names.includes(pattern)) return 0
  if (names.some((n) => n.startsWith(pattern))) return 1
  if (names.some((n) => n.includes(pattern))) return 2
  if (item.address.includes(pattern)) return 3
  return null
}

function distanceKm(a: { lon: number; lat: number }, b: { lon: number; lat: number }): number {
  const rad = Math.PI / 180
  const x = (b.lon - a.lon) * rad * Math.cos(((a.lat + b.lat) / 2) * rad)
  const y = (b.lat - a.lat) * rad
  return Math.hypot(x, y) * 6371
}

/**
 * Our places, rebuilt when the stations changed. Every search first reads the stations'
 * version (see `placesVersion`), so a write made through any server process, an import or a
 * script is found by the next search; one rebuild at a time serves all the requests waiting.
 */
export class PlaceIndex {
  private current?: { version: string; places: PlaceSet }
  private building?: { version: string; places: Promise<PlaceSet> }

  constructor(private readonly knex: Knex) {}

  async places(): Promise<PlaceSet> {
    const version = await placesVersion(this.knex)
    if (this.current?.version === version) return this.current.places
    if (this.building?.version !== version) {
      const building = {
        version,
        places: Promise.all([stationPlaces(this.knex), regionPoints(this.knex)]).then(
          ([stations, regions]) => PlaceSet.build(stations, regions),
        ),
      }
      this.building = building
      building.places.then(
        (places) => {
          if (this.building !== building) return
          this.current = { version, places }
          this.building = undefined
        },
        () => {
          if (this.building === building) this.building = undefined
        },
      )
    }
    return this.building.places
  }
}
