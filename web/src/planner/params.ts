import { COVERAGE_LIMITS, DEFAULT_DATASET } from '../../../contract/coverage.ts'
import type { Bounds, CoverageParams, TravelMode } from '../shared/api.ts'
import type { Bbox } from '../../../contract/bbox.ts'

/** Changsha's urban area: where the planner opens unless the address says otherwise. */
export const CHANGSHA: Bounds = [112.6, 27.95, 113.2, 28.5]

/** Everything the analysis depends on; kept in the address so a view can be shared. */
export interface PlannerParams {
  bbox: Bounds
  reach: 'radius' | 'time'
  radius_m: number
  minutes: number
  mode: TravelMode
  cell_m: number
  min_stations: 1 | 2
  include: 'gaps' | 'all'
  /** The demand data set the analyses count. */
  dataset: string
}

export const DEFAULTS: PlannerParams = {
  bbox: CHANGSHA,
  reach: 'radius',
  radius_m: 1000,
  minutes: 15,
  mode: 'walk',
  cell_m: 500,
  min_stations: 1,
  include: 'gaps',
  dataset: DEFAULT_DATASET,
}

/** The federation's target for major cities: within 15 walking minutes of two stations. */
export const CROSS_COVERAGE_PRESET: Partial<PlannerParams> = {
  reach: 'time',
  minutes: 15,
  mode: 'walk',
  min_stations: 2,
}

/** The API's bounds, checked here to avoid a pointless 400. */
export const LIMITS = COVERAGE_LIMITS

export type Bounded = keyof typeof LIMITS

export function inRange(field: Bounded, value: number): boolean {
  const [min, max] = LIMITS[field]
  return Number.isFinite(value) && value >= min && value <= max
}

/** The fields that are out of bounds; the analysis waits until there are none. */
export function invalidFields(p: PlannerParams): Bounded[] {
  const checked: Bounded[] = [p.reach === 'radius' ? 'radius_m' : 'minutes', 'cell_m']
  return checked.filter((field) => !inRange(field, p[field as 'radius_m' | 'minutes' | 'cell_m']))
}

export function coverageParams(p: PlannerParams): CoverageParams {
  return {
    bbox: p.bbox,
    reach: p.reach === 'radius' ? { radius_m: p.radius_m } : { minutes: p.minutes, mode: p.mode },
    cell_m: p.cell_m,
    min_stations: p.min_stations,
    dataset: p.dataset,
  }
}

/** Degrees to 4 decimals (about 10 m): tidy addresses, and the same cache key for the same view. */
export function roundBounds(b: Bounds): Bounds {
  return b.map((v) => Math.round(v * 1e4) / 1e4) as unknown as Bounds
}

function parseBounds(value: string | null): Bounds | null {
  const parts = value?.split(',').map(Number)
  if (!parts || parts.length !== 4 || !parts.every(Number.isFinite)) return null
  const [w, s, e, n] = parts as Bbox
  const valid = w < e && s < n && w >= -180 && e <= 180 && s >= -85 && n <= 85
  return valid ? roundBounds([w, s, e, n]) : null
}

/** The params in an address's query; anything missing or unreadable keeps its default. */
export function paramsFromSearch(search: string): PlannerParams {
  const q = new URLSearchParams(search)
  const num = (name: string, fallback: number) => {
    const value = q.get(name)
    return value !== null && value.trim() !== '' && Number.isFinite(Number(value))
      ? Number(value)
      : fallback
  }
  const mode = q.get('mode')
  return {
    bbox: parseBounds(q.get('bbox')) ?? DEFAULTS.bbox,
    reach: q.has('minutes') ? 'time' : 'radius',
    radius_m: num('radius_m', DEFAULTS.radius_m),
    minutes: num('minutes', DEFAULTS.minutes),
    mode: mode === 'walk' || mode === 'ebike' ? mode : DEFAULTS.mode,
    cell_m: num('cell_m', DEFAULTS.cell_m),
    min_stations: q.get('min_stations') === '2' ? 2 : 1,
    include: q.get('include') === 'all' ? 'all' : 'gaps',
    dataset: q.get('dataset')?.trim() || DEFAULT_DATASET,
  }
}

/** The address query for these params: the bbox, the reach in use and what differs from defaults. */
export function paramsToSearch(p: PlannerParams): string {
  const q = new URLSearchParams({ bbox: p.bbox.join(',') })
  if (p.reach === 'radius') q.set('radius_m', String(p.radius_m))
  else {
    q.set('minutes', String(p.minutes))
    q.set('mode', p.mode)
  }
  q.set('cell_m', String(p.cell_m))
  if (p.min_stations !== 1) q.set('min_stations', String(p.min_stations))
  if (p.include !== 'gaps') q.set('include', p.include)
  if (p.dataset !== DEFAULT_DATASET) q.set('dataset', p.dataset)
  // commas need no escaping in a query, and an address with them reads better
  return q.toString().replaceAll('%2C', ',')
}

/** A short name for files exported under these params: "r1000m-c500m", "15min-walk-c500m-x2". */
export function paramsSlug(p: PlannerParams): string {
  const reach = p.reach === 'radius' ? `r${p.radius_m}m` : `${p.minutes}min-${p.mode}`
  return `${reach}-c${p.cell_m}m${p.min_stations > 1 ? `-x${p.min_stations}` : ''}`
}
