import type { Feature, MultiPolygon, Polygon } from 'geojson'
import type { Amenity, Availability, StationState } from '../../server/src/stations/vocabulary.ts'

export const API = '/api/v1'

export type Bounds = [west: number, south: number, east: number, north: number]

/** Hunan province, the default data set's region. */
export const HUNAN_BOUNDS: Bounds = [108.8, 24.65, 114.25, 30.1]

export interface Meta {
  mapStyleUrl: string | null
  bounds: Bounds
  stations: number
}

export interface StationStatus {
  occupancy: number
  charging_points_in_use: number
  available_spaces: number
  open_now: boolean
  stale: boolean
  availability: Availability
  reported_at: string | null
  version: number
  supplies: Record<string, { level: number; low: boolean }>
}

export interface Station {
  id: number
  code: string
  name: string
  address: string
  city: string
  district: string
  operator: string
  location: { lon: number; lat: number }
  amenities: Amenity[]
  capacity: number
  charging_points: number
  opening_hours: string
  timezone: string
  phone: string
  state: StationState
  status: StationStatus
}

export type Outline = Feature<Polygon | MultiPolygon>

export async function getJson<T>(path: string, timeoutMs = 10_000): Promise<T> {
  const res = await fetch(path, {
    headers: { accept: 'application/json' },
    signal: AbortSignal.timeout(timeoutMs),
  })
  if (!res.ok) throw new Error(`GET ${path}: ${res.status} ${res.statusText}`)
  return (await res.json()) as T
}

function isBounds(value: unknown): value is Bounds {
  if (!Array.isArray(value) || value.length !== 4) return false
  if (!value.every((v) => typeof v === 'number' && Number.isFinite(v))) return false
  const [w, s, e, n] = value as Bounds
  return w < e && s < n
}

/** The server's meta, or null when it cannot be had (the map then runs on its defaults). */
export async function getMeta(): Promise<Meta | null> {
  try {
    const meta = await getJson<Partial<Meta>>(`${API}/meta`, 3_000)
    return {
      mapStyleUrl:
        typeof meta.mapStyleUrl === 'string' && meta.mapStyleUrl ? meta.mapStyleUrl : null,
      bounds: isBounds(meta.bounds) ? meta.bounds : HUNAN_BOUNDS,
      stations: typeof meta.stations === 'number' ? meta.stations : 0,
    }
  } catch (err) {
    console.warn(`meta unavailable, using defaults: ${String(err)}`)
    return null
  }
}

/** The hull of all stations, or null when there is none (empty database, request failed). */
export async function getOutline(): Promise<Outline | null> {
  try {
    const feature = await getJson<Feature | null>(`${API}/stations/outline`)
    const type = feature?.geometry?.type
    return type === 'Polygon' || type === 'MultiPolygon' ? (feature as Outline) : null
  } catch (err) {
    console.warn(`station outline unavailable: ${String(err)}`)
    return null
  }
}

export function getStation(id: number): Promise<Station> {
  return getJson<Station>(`${API}/stations/${id}`)
}
