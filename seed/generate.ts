// Deterministic synthetic data for Hunan: the same seed and `now` always give the same dataset.
import seedrandom from 'seedrandom'
import {
  AMENITIES,
  DEFAULT_LOW_THRESHOLD,
  SUPPLIES,
  type Amenity,
  type Role,
  type StationState,
  type Supply,
} from '../contract/vocabulary.ts'
import { HUNAN_BBOX, HUNAN_CITIES, HUNAN_PROVINCE, type HunanCity } from './hunan.ts'

export const DEFAULT_SEED = 'yizhan'
export const DEFAULT_STATIONS = 4076
export const DEFAULT_DEMAND_POINTS = 24_000
export const TIMEZONE = 'Asia/Shanghai'

export const DEMAND_KINDS = [
  'delivery_hotspot',
  'pickup_cluster',
  'arterial',
  'new_district',
  'county_town',
] as const
export type DemandKind = (typeof DEMAND_KINDS)[number]

export interface GeneratedStatus {
  occupancy: number
  chargingPointsInUse: number
  /** null when the station has never reported. */
  reportedAt: Date | null
  version: number
  /** Levels (0–100) of the supplies the station stocks, known once it has reported. */
  supplies: Partial<Record<Supply, number>>
}

export interface GeneratedStation {
  code: string
  name: string
  address: string
  province: string
  city: string
  district: string
  operator: string
  lon: number
  lat: number
  amenities: Amenity[]
  capacity: number
  chargingPoints: number
  openingHours: string
  timezone: string
  phone: string
  state: StationState
  createdAt: Date
  updatedAt: Date
  /** Username of the manager who reports for it; null once retired. */
  manager: string | null
  status: GeneratedStatus
}

export interface GeneratedDemandPoint {
  lon: number
  lat: number
  weight: number
  kind: DemandKind
}

export interface GeneratedAccount {
  username: string
  role: Role
}

export interface Dataset {
  stations: GeneratedStation[]
  demandPoints: GeneratedDemandPoint[]
  accounts: GeneratedAccount[]
}

/** The same data as a Dataset, produced lazily so a million stations never sit in memory. */
export interface DatasetStream {
  accounts: GeneratedAccount[]
  stationCount: number
  /** Stations in order, in batches of at most batchSize (default 5,000), none spanning cities. */
  stations(batchSize?: number): Generator<GeneratedStation[]>
  demandPoints(): GeneratedDemandPoint[]
}

export interface GenerateOptions {
  seed: string | number
  stations?: number
  demandPoints?: number
  now: Date
}

const MINUTE = 60_000
const HOUR = 60 * MINUTE
const DAY = 24 * HOUR
const KM_PER_DEGREE = 111.32

class Random {
  private readonly next: () => number
  constructor(seed: string) {
    this.next = seedrandom.alea(seed)
  }
  float(): number {
    return this.next()
  }
  between(lo: number, hi: number): number {
    return lo + this.next() * (hi - lo)
  }
  /** Integer in [lo, hi], both included. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1))
  }
  chance(p: number): boolean {
    return this.next() < p
  }
  pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.next() * xs.length)]!
  }
  weighted<T>(choices: readonly (readonly [T, number])[]): T {
    let r = this.next() * choices.reduce((sum, [, w]) => sum + w, 0)
    for (const [value, w] of choices) {
      r -= w
      if (r < 0) return value
    }
    return choices[choices.length - 1]![0]
  }
  /** Standard normal deviate (Box–Muller). */
  gaussian(): number {
    return Math.sqrt(-2 * Math.log(1 - this.next())) * Math.cos(2 * Math.PI * this.next())
  }
}

interface Point {
  lon: number
  lat: number
}
interface Place extends Point {
  name: string
}

function offset(from: Point, eastKm: number, northKm: number): Point {
  return {
    lat: from.lat + northKm / KM_PER_DEGREE,
    lon: from.lon + eastKm / (KM_PER_DEGREE * Math.cos((from.lat * Math.PI) / 180)),
  }
}

function scatter(rnd: Random, centre: Point, sigmaKm: number): Point {
  return offset(centre, rnd.gaussian() * sigmaKm, rnd.gaussian() * sigmaKm)
}

/** Keeps a point inside Hunan's bounding box, rounded to 6 decimals (~0.1 m). */
function clamp(p: Point): Point {
  const round = (x: number) => Math.round(x * 1e6) / 1e6
  return {
    lon: round(Math.min(HUNAN_BBOX.east, Math.max(HUNAN_BBOX.west, p.lon))),
    lat: round(Math.min(HUNAN_BBOX.north, Math.max(HUNAN_BBOX.south, p.lat))),
  }
}

function distanceKm(a: Point, b: Point): number {
  const dy = (b.lat - a.lat) * KM_PER_DEGREE
  const dx = (b.lon - a.lon) * KM_PER_DEGREE * Math.cos((((a.lat + b.lat) / 2) * Math.PI) / 180)
  return Math.hypot(dx, dy)
}

/** Largest-remainder split of `total` in proportion to `weights`, summing exactly to `total`. */
function apportion(total: number, weights: readonly number[]): number[] {
  const sum = weights.reduce((a, b) => a + b, 0)
  const exact = weights.map((w) => (total * w) / sum)
  const counts = exact.map(Math.floor)
  const left = total - counts.reduce((a, b) => a + b, 0)
  const byRemainder = weights
    .map((_, i) => i)
    .sort((a, b) => {
      const diff = exact[b]! - counts[b]! - (exact[a]! - counts[a]!)
      return diff || a - b
    })
  for (const i of byRemainder.slice(0, left)) counts[i]!++
  return counts
}

/**
 * County-town positions, 20–70 km from the prefecture centre in evenly spread directions. The
 * package gives names, not coordinates, so they are synthetic; seeded by the GB code alone so the
 * geography stays the same whatever the dataset seed.
 */
function countyTowns(city: HunanCity): Place[] {
  const rnd = new Random(`layout:${city.gb}`)
  const start = rnd.between(0, 2 * Math.PI)
  return city.counties.map((name, i) => {
    const bearing = start + (2 * Math.PI * (i + rnd.between(0.2, 0.8))) / city.counties.length
    const km = rnd.between(20, 70)
    return { name, ...offset(city, km * Math.sin(bearing), km * Math.cos(bearing)) }
  })
}

// ---------------------------------------------------------------------------------------------
// Stations

interface Site extends Point {
  district: string
}

type Zone = 'core' | 'suburb' | 'county'
const STATION_ZONES: readonly (readonly [Zone, number])[] = [
  ['core', 0.55],
  ['suburb', 0.2],
  ['county', 0.25],
]

function stationSite(rnd: Random, city: HunanCity, towns: readonly Place[]): Site {
  const zone = rnd.weighted(STATION_ZONES)
  if (zone === 'county') {
    const town = rnd.pick(towns)
    return { ...clamp(scatter(rnd, town, 1.5)), district: town.name }
  }
  // Bigger cities have wider cores: sigma 2.8 km for Zhangjiajie up to 4.5 km for Changsha.
  const sigma = zone === 'core' ? 2.5 + 0.2 * city.population : 8 + 0.4 * city.population
  const east = rnd.gaussian() * sigma
  const north = rnd.gaussian() * sigma
  // Urban districts get one sector of the compass each around the centre.
  const districts = city.coreDistricts
  const sector = (Math.atan2(north, east) + Math.PI) / (2 * Math.PI)
  const district = districts[Math.min(districts.length - 1, Math.floor(sector * districts.length))]!
  return { ...clamp(offset(city, east, north)), district }
}

const ROAD_STEMS = (
  '人民 解放 建设 中山 五一 芙蓉 韶山 湘江 书院 麓山 迎宾 东风 八一 劳动 新华 光明 桐梓坡 银盆 ' +
  '金星 万家丽 车站 星沙 朝阳 红旗 团结 胜利 和平 文化 学院 工业 建新 长青 桃花 枫林 滨江 沿江 ' +
  '潇湘 蔡锷 黄兴 曙光 先锋 青园 白沙 望月 湘府 洞井 高桥 金桥 新民 民主 兴业 幸福 育才 环城 ' +
  '滨湖 体育 紫薇 梅溪 南湖 北站'
).split(' ')
const ROAD_SUFFIXES: readonly (readonly [string, number])[] = [
  ['路', 50],
  ['大道', 10],
  ['街', 10],
  ['东路', 6],
  ['西路', 6],
  ['南路', 6],
  ['北路', 6],
  ['中路', 6],
]

const NAME_SUFFIXES: readonly (readonly [string, number])[] = [
  ['户外劳动者服务站', 45],
  ['爱心驿站', 25],
  ['暖心驿站', 10],
  ['工会驿站', 10],
  ['职工驿站', 10],
]

// OSM opening_hours values as stations publish them; every entry must parse.
const HOURS = {
  allDay: '24/7',
  day: 'Mo-Su 08:00-20:00',
  long: 'Mo-Su 07:00-22:00',
  early: 'Mo-Su 06:00-22:00',
  weekday: 'Mo-Fr 07:00-19:00; Sa,Su 09:00-17:00',
  sixDays: 'Mo-Sa 06:30-21:30; Su off',
  evening: 'Mo-Su 09:00-21:00',
  split: 'Mo-Su 05:00-12:00,14:00-21:00',
  bank: 'Mo-Fr 08:30-17:30; Sa,Su 09:00-17:00',
} as const
type Hours = readonly (readonly [string, number])[]
const DEFAULT_HOURS: Hours = [
  [HOURS.allDay, 4],
  [HOURS.day, 24],
  [HOURS.long, 14],
  [HOURS.early, 10],
  [HOURS.weekday, 12],
  [HOURS.sixDays, 8],
  [HOURS.evening, 8],
  [HOURS.split, 4],
]

const AMENITY_ODDS: Record<Amenity, number> = {
  rest_seating: 0.97,
  drinking_water: 0.93,
  hot_water: 0.75,
  heating: 0.45,
  air_conditioning: 0.7,
  rain_shelter: 0.55,
  phone_charging: 0.85,
  ebike_charging: 0.3,
  battery_swap: 0.012,
  microwave: 0.55,
  fridge: 0.3,
  toilet: 0.5,
  first_aid: 0.75,
  sanitary_products: 0.4,
  wifi: 0.6,
}

interface Context {
  rnd: Random
  city: HunanCity
  district: string
  road: string
  roadStem: string
}

interface Host {
  weight: number
  describe(c: Context): { place: string; operator: string; suffix?: string }
  amenities?: Partial<Record<Amenity, number>>
  hours?: Hours
}

/** 岳麓区 → 岳麓, 城步苗族自治县 → 城步; one-character stems (道县, 攸县) stay whole. */
function stem(district: string): string {
  const s = district.replace(/((土家族|苗族|侗族|瑶族)+自治县|[区县市])$/, '')
  return s.length >= 2 ? s : district
}

/** How branches are named locally: 长沙岳麓, or 长沙县 where the stem repeats the city. */
function locality(city: HunanCity, district: string): string {
  const s = stem(district)
  return s === city.short ? district : `${city.short}${s}`
}

const union = (city: HunanCity) =>
  city.name.endsWith('州') ? `${city.short}州总工会` : `${city.name}总工会`

const BANKS: readonly (readonly [string, number])[] = [
  ['中国工商银行', 20],
  ['中国建设银行', 18],
  ['中国农业银行', 16],
  ['中国银行', 12],
  ['中国邮政储蓄银行', 10],
  ['交通银行', 6],
  ['湖南银行', 8],
  ['长沙银行', 6],
  ['农村商业银行', 10],
]

const HOSTS: readonly Host[] = [
  {
    weight: 18,
    describe: ({ rnd, city, district, roadStem }) => ({
      place: `${district}${roadStem}社区`,
      operator: rnd.chance(0.5) ? `${district}总工会` : union(city),
    }),
    amenities: { toilet: 0.7, first_aid: 0.9 },
  },
  {
    weight: 8,
    describe: ({ district }) => ({
      place: `${district}职工服务中心`,
      operator: `${district}总工会`,
    }),
    amenities: { toilet: 0.8, hot_water: 0.9, wifi: 0.8 },
  },
  {
    weight: 10,
    describe: ({ city, district, road }) => ({
      place: `${district}${road}`,
      operator: union(city),
    }),
  },
  {
    weight: 16,
    describe: ({ rnd, city, district }) => {
      const bank = rnd.weighted(BANKS)
      const name = bank === '农村商业银行' ? `${city.short}${bank}` : bank
      // Two banks run their own brands of station.
      const suffix =
        bank === '中国工商银行' ? '工行驿站' : bank === '中国建设银行' ? '劳动者港湾' : undefined
      return { place: `${name}${locality(city, district)}支行`, operator: name, suffix }
    },
    amenities: { air_conditioning: 0.95, hot_water: 0.9, wifi: 0.9, rain_shelter: 0.3 },
    hours: [
      [HOURS.bank, 60],
      [HOURS.day, 30],
      [HOURS.allDay, 10],
    ],
  },
  {
    weight: 10,
    describe: ({ rnd, city, road }) => {
      const brand = rnd.chance(0.65) ? '中国石化' : '中国石油'
      return { place: `${brand}${city.short}${road}加油站`, operator: brand }
    },
    amenities: { toilet: 0.95, rain_shelter: 0.9, hot_water: 0.8, microwave: 0.4 },
    hours: [
      [HOURS.allDay, 40],
      [HOURS.early, 40],
      [HOURS.long, 20],
    ],
  },
  {
    weight: 9,
    describe: ({ district, road }) => ({
      place: `${district}${road}环卫`,
      operator: `${district}城市管理和综合执法局`,
    }),
    amenities: { toilet: 0.8, microwave: 0.85, fridge: 0.5, wifi: 0.3 },
    hours: [
      [HOURS.split, 40],
      [HOURS.early, 40],
      [HOURS.allDay, 20],
    ],
  },
  {
    weight: 6,
    describe: ({ road }) => ({ place: `中国邮政${road}邮政所`, operator: '中国邮政' }),
  },
  {
    weight: 5,
    describe: ({ city, district }) => ({
      place: `国网${city.short}供电公司${stem(district)}供电所`,
      operator: '国家电网',
    }),
    amenities: { ebike_charging: 0.75, phone_charging: 0.97 },
  },
  {
    weight: 6,
    describe: ({ rnd, road }) => {
      const brand = rnd.pick(['中国移动', '中国电信', '中国联通'])
      return { place: `${brand}${road}营业厅`, operator: brand }
    },
    amenities: { wifi: 0.95, phone_charging: 0.98, air_conditioning: 0.9 },
    hours: [
      [HOURS.day, 50],
      [HOURS.evening, 50],
    ],
  },
  {
    weight: 4,
    describe: ({ city, road }) => ({
      place: `${city.short}公交${road}首末站`,
      operator: `${city.short}公交集团`,
    }),
    amenities: { toilet: 0.9, rain_shelter: 0.95 },
  },
  {
    weight: 4,
    describe: ({ rnd, road }) => {
      const brand = rnd.pick(['步步高', '友阿', '芙蓉兴盛'])
      return { place: `${brand}${road}店`, operator: brand }
    },
    hours: [
      [HOURS.long, 60],
      [HOURS.allDay, 40],
    ],
  },
  {
    weight: 3,
    describe: ({ rnd, district, roadStem }) => {
      const brand = rnd.pick(['美团', '饿了么'])
      return { place: `${brand}${district}${roadStem}`, operator: brand, suffix: '骑手驿站' }
    },
    amenities: { ebike_charging: 0.85, battery_swap: 0.25, phone_charging: 0.98 },
  },
]
const HOST_CHOICES = HOSTS.map((h) => [h, h.weight] as const)

function phoneNumber(rnd: Random, city: HunanCity): string {
  let local = city.localDigits === 8 ? '8' : String(rnd.int(2, 8))
  while (local.length < city.localDigits) local += String(rnd.int(0, 9))
  return `${city.areaCode}-${local}`
}

function initialStatus(
  rnd: Random,
  state: StationState,
  capacity: number,
  chargingPoints: number,
  now: Date,
): GeneratedStatus {
  const r = rnd.float()
  // Retired stations keep no live status; about 3% of the others have never reported.
  if (state === 'retired' || r >= 0.97) {
    return { occupancy: 0, chargingPointsInUse: 0, reportedAt: null, version: 0, supplies: {} }
  }
  // ~92% fresh (last 100 minutes), ~5% stale (3–30 hours).
  const ago = r < 0.92 ? rnd.between(0, 100) * MINUTE : rnd.between(3, 30) * HOUR
  const reportedAt = new Date(Math.floor((now.getTime() - ago) / 1000) * 1000)
  // A temporarily closed station reports itself empty; about 8% of open ones are full.
  const closed = state === 'temporarily_closed'
  const occupancy = closed
    ? 0
    : rnd.chance(0.08)
      ? capacity
      : Math.floor(capacity * rnd.float() ** 1.8)
  const chargingPointsInUse = closed ? 0 : Math.floor((chargingPoints + 1) * rnd.float() ** 1.5)
  // Selection sampling: exactly `want` of the supplies, kept in vocabulary order.
  const supplies: Partial<Record<Supply, number>> = {}
  let want = rnd.int(3, 6)
  SUPPLIES.forEach((item, i) => {
    if (rnd.float() * (SUPPLIES.length - i) >= want) return
    want--
    supplies[item] = rnd.chance(0.1)
      ? rnd.int(0, DEFAULT_LOW_THRESHOLD - 1)
      : rnd.int(DEFAULT_LOW_THRESHOLD, 100)
  })
  return { occupancy, chargingPointsInUse, reportedAt, version: 1, supplies }
}

function describeStation(
  rnd: Random,
  city: HunanCity,
  site: Site,
  code: string,
  manager: string,
  now: Date,
): GeneratedStation {
  const roadStem = rnd.pick(ROAD_STEMS)
  const road = roadStem + rnd.weighted(ROAD_SUFFIXES)
  const host = rnd.weighted(HOST_CHOICES)
  const { district } = site
  const { place, operator, suffix } = host.describe({ rnd, city, district, road, roadStem })
  const name = place + (suffix ?? rnd.weighted(NAME_SUFFIXES))
  const address = `${HUNAN_PROVINCE}${city.name}${district}${road}${rnd.int(1, 600)}号`
  const amenities = AMENITIES.filter((a) => rnd.chance(host.amenities?.[a] ?? AMENITY_ODDS[a]))
  const capacity = 4 + Math.floor(rnd.float() ** 1.7 * 27)
  const chargingPoints = amenities.includes('ebike_charging') ? rnd.int(1, 10) : 0
  const openingHours = rnd.weighted(host.hours ?? DEFAULT_HOURS)
  const phone = phoneNumber(rnd, city)
  const r = rnd.float()
  const state: StationState = r < 0.005 ? 'retired' : r < 0.025 ? 'temporarily_closed' : 'active'
  const created = Math.floor((now.getTime() - rnd.between(30, 1400) * DAY) / 1000) * 1000
  const updated =
    state === 'active' ? created : created + Math.floor(rnd.float() * (now.getTime() - created))
  return {
    code,
    name,
    address,
    province: HUNAN_PROVINCE,
    city: city.name,
    district,
    operator,
    lon: site.lon,
    lat: site.lat,
    amenities,
    capacity,
    chargingPoints,
    openingHours,
    timezone: TIMEZONE,
    phone,
    state,
    createdAt: new Date(created),
    updatedAt: new Date(updated),
    manager: state === 'retired' ? null : manager,
    status: initialStatus(rnd, state, capacity, chargingPoints, now),
  }
}

/** manager001, manager002, …: at least three digits, wider when there are more managers. */
export function managerUsername(n: number, total: number): string {
  return `manager${String(n).padStart(Math.max(3, String(total).length), '0')}`
}

/**
 * Splits each city's stations, in code order, into runs of 4–6 per manager (a retired station
 * keeps its place in the run but gets no manager). Drawn from a stream of its own so the number
 * of managers, and so their usernames, is known before any station is generated.
 */
function planManagers(seed: string, perCity: readonly number[]) {
  const rnd = new Random(`${seed}:managers`)
  const managerOf = new Int32Array(perCity.reduce((a, b) => a + b, 0))
  let index = 0
  let total = 0
  for (const n of perCity) {
    for (let inCity = 0; inCity < n;) {
      total++
      const size = rnd.int(4, 6)
      for (let k = 0; k < size && inCity < n; k++, inCity++) managerOf[index++] = total
    }
  }
  return { managerOf, total }
}

function* generateStations(
  seed: string,
  perCity: readonly number[],
  managers: ReturnType<typeof planManagers>,
  now: Date,
  batchSize: number,
): Generator<GeneratedStation[]> {
  const rnd = new Random(`${seed}:stations`)
  let index = 0
  for (const [c, city] of HUNAN_CITIES.entries()) {
    const towns = countyTowns(city)
    const sites = Array.from({ length: perCity[c]! }, () => stationSite(rnd, city, towns))
    // Number stations district by district, row by row, so codes and a manager's stations
    // are neighbours.
    const rank = new Map([...city.coreDistricts, ...city.counties].map((d, i) => [d, i]))
    // One number per site, (district, 2 km row) then longitude, keeps the sort cheap.
    const keys = new Float64Array(sites.length)
    sites.forEach((s, i) => {
      keys[i] = (rank.get(s.district)! * 2048 + Math.floor(s.lat / 0.02)) * 1000 + s.lon
    })
    const order = sites.map((_, i) => i).sort((a, b) => keys[a]! - keys[b]!)
    for (let from = 0; from < order.length; from += batchSize) {
      yield order.slice(from, from + batchSize).map((site, k) => {
        const code = `HN-${city.key}-${String(from + k + 1).padStart(5, '0')}`
        const manager = managerUsername(managers.managerOf[index++]!, managers.total)
        return describeStation(rnd, city, sites[site]!, code, manager, now)
      })
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Demand: drawn where stations are sparse as well as where they are dense, so real gaps exist.

type DemandZone = 'core' | 'new_district' | 'county_town' | 'arterial'
const DEMAND_ZONES: readonly (readonly [DemandZone, number])[] = [
  ['core', 0.25],
  ['new_district', 0.3],
  ['county_town', 0.2],
  ['arterial', 0.25],
]

function generateDemand(seed: string, count: number): GeneratedDemandPoint[] {
  const rnd = new Random(`${seed}:demand`)
  const cities = HUNAN_CITIES.map((city) => {
    // Growth areas 8–20 km out, two to four per city depending on its size.
    const newDistricts = Array.from(
      { length: 2 + Math.min(2, Math.floor(city.population / 3.5)) },
      () => {
        const bearing = rnd.between(0, 2 * Math.PI)
        const km = rnd.between(8, 20)
        return offset(city, km * Math.sin(bearing), km * Math.cos(bearing))
      },
    )
    return [{ city, towns: countyTowns(city), newDistricts }, city.population] as const
  })
  // Arterial roads between neighbouring prefecture centres (closer than 150 km).
  const segments = HUNAN_CITIES.flatMap((a, i) =>
    HUNAN_CITIES.slice(i + 1)
      .map((b) => [[a, b], distanceKm(a, b)] as const)
      .filter(([, km]) => km <= 150),
  )
  const points: GeneratedDemandPoint[] = []
  for (let i = 0; i < count; i++) {
    const zone = rnd.weighted(DEMAND_ZONES)
    if (zone === 'arterial') {
      const [a, b] = rnd.weighted(segments)
      const t = rnd.between(0.08, 0.92)
      const along = { lon: a.lon + t * (b.lon - a.lon), lat: a.lat + t * (b.lat - a.lat) }
      // Up to a couple of km either side of the straight line, as the road winds.
      const side = rnd.gaussian() * 0.8
      const dir = Math.atan2(b.lat - a.lat, (b.lon - a.lon) * Math.cos((a.lat * Math.PI) / 180))
      const p = offset(along, side * Math.sin(dir), -side * Math.cos(dir))
      points.push({ ...clamp(p), weight: rnd.int(1, 4), kind: 'arterial' })
      continue
    }
    const { city, towns, newDistricts } = rnd.weighted(cities)
    if (zone === 'core') {
      const hotspot = rnd.chance(0.7)
      points.push({
        ...clamp(scatter(rnd, city, 6)),
        weight: hotspot ? rnd.int(3, 10) : rnd.int(2, 8),
        kind: hotspot ? 'delivery_hotspot' : 'pickup_cluster',
      })
    } else if (zone === 'new_district') {
      points.push({
        ...clamp(scatter(rnd, rnd.pick(newDistricts), 2.5)),
        weight: rnd.int(2, 9),
        kind: 'new_district',
      })
    } else {
      points.push({
        ...clamp(scatter(rnd, rnd.pick(towns), 3)),
        weight: rnd.int(1, 6),
        kind: 'county_town',
      })
    }
  }
  return points
}

export function streamDataset(opts: GenerateOptions): DatasetStream {
  const count = opts.stations ?? DEFAULT_STATIONS
  const demand = opts.demandPoints ?? DEFAULT_DEMAND_POINTS
  if (![count, demand].every((n) => Number.isInteger(n) && n >= 0)) {
    throw new RangeError('stations and demandPoints must be whole numbers >= 0')
  }
  const seed = String(opts.seed)
  const perCity = apportion(
    count,
    HUNAN_CITIES.map((c) => c.population),
  )
  const managers = planManagers(seed, perCity)
  const accounts: GeneratedAccount[] = [
    { username: 'admin', role: 'admin' },
    { username: 'planner', role: 'planner' },
  ]
  for (let n = 1; n <= managers.total; n++) {
    accounts.push({ username: managerUsername(n, managers.total), role: 'manager' })
  }
  return {
    accounts,
    stationCount: count,
    stations: (batchSize = 5000) => generateStations(seed, perCity, managers, opts.now, batchSize),
    demandPoints: () => generateDemand(seed, demand),
  }
}

export function generateDataset(opts: GenerateOptions): Dataset {
  const stream = streamDataset(opts)
  return {
    stations: [...stream.stations()].flat(),
    demandPoints: stream.demandPoints(),
    accounts: stream.accounts,
  }
}
