import type { Feature, MultiPolygon, Polygon } from 'geojson'
import type { z } from 'zod'
import type { me } from '../../../server/src/auth/schema.ts'
import type { ReportBody } from '../../../server/src/reports/schema.ts'
import type { station } from '../../../server/src/stations/schema.ts'
import type { Amenity } from '../../../server/src/stations/vocabulary.ts'
import type { SupplyLowEvent } from '../../../server/src/live/events.ts'

export const API = '/api/v1'

export type Bounds = [west: number, south: number, east: number, north: number]

/** Hunan province, the default data set's region. */
export const HUNAN_BOUNDS: Bounds = [108.8, 24.65, 114.25, 30.1]

export interface Meta {
  mapStyleUrl: string | null
  bounds: Bounds
  stations: number
}

export type Station = z.output<typeof station>
export type StationStatus = Station['status']
export type NearStation = Station & { distance_m: number }
export type Me = z.output<typeof me>
export type { ReportBody, SupplyLowEvent }

export interface Report {
  id: number
  occupancy: number
  charging_points_in_use: number | null
  supplies: Record<string, number>
  note: string | null
  reported_by: string | null
  reported_at: string
  version: number
}

export interface BusyHour {
  /** 1 = Monday … 7 = Sunday, in the station's time zone. */
  weekday: number
  hour: number
  mean_occupancy: number
  reports: number
}

export interface NearestFilters {
  amenities: Amenity[]
  openNow: boolean
  available: boolean
}

export interface StationRequestBody {
  location: { lon: number; lat: number }
  note?: string
  amenities?: Amenity[]
}

export type Outline = Feature<Polygon | MultiPolygon>

/** An answer in RFC 9457 problem form (or any other HTTP error, described the same way). */
export class ProblemError extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail: string,
    readonly errors: { path: string; message: string }[] = [],
  ) {
    super(`${status} ${title}: ${detail}`)
  }
}

/** The request never got an answer: offline, refused, or timed out. Safe to retry. */
export class NetworkError extends Error {}

interface RequestOptions {
  method?: 'GET' | 'POST'
  body?: unknown
  headers?: Record<string, string>
  timeoutMs?: number
}

export async function request<T>(path: string, opts: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json', ...opts.headers }
  if (opts.body !== undefined) headers['content-type'] = 'application/json'
  let res: Response
  try {
    res = await fetch(path, {
      method: opts.method ?? 'GET',
      headers,
      body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
      credentials: 'same-origin',
      signal: AbortSignal.timeout(opts.timeoutMs ?? 10_000),
    })
  } catch (err) {
    throw new NetworkError(`${opts.method ?? 'GET'} ${path}: ${String(err)}`)
  }
  if (res.status === 204) return undefined as T
  const text = await res.text()
  let parsed: unknown = null
  try {
    parsed = text ? JSON.parse(text) : null
  } catch {
    // a proxy's HTML error page: described by the status alone
  }
  if (!res.ok) {
    const p = (parsed ?? {}) as Partial<{ title: string; detail: string; errors: unknown }>
    throw new ProblemError(
      res.status,
      typeof p.title === 'string' ? p.title : res.statusText,
      typeof p.detail === 'string' ? p.detail : '',
      Array.isArray(p.errors) ? (p.errors as ProblemError['errors']) : [],
    )
  }
  return parsed as T
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
    const meta = await request<Partial<Meta>>(`${API}/meta`, { timeoutMs: 3_000 })
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
    const feature = await request<Feature | null>(`${API}/stations/outline`)
    const type = feature?.geometry?.type
    return type === 'Polygon' || type === 'MultiPolygon' ? (feature as Outline) : null
  } catch (err) {
    console.warn(`station outline unavailable: ${String(err)}`)
    return null
  }
}

export function getStation(id: number): Promise<Station> {
  return request<Station>(`${API}/stations/${id}`)
}

/** How many stations the courier's nearest list shows. */
export const NEAREST_LIMIT = 10

/** The query string the courier view sends; the browser tests build the same one. */
export function nearestQuery(
  at: { lon: number; lat: number },
  filters: NearestFilters,
  limit: number,
): string {
  const q = new URLSearchParams({
    lat: at.lat.toFixed(6),
    lon: at.lon.toFixed(6),
    limit: String(limit),
  })
  if (filters.amenities.length) q.set('amenities', filters.amenities.join(','))
  if (filters.openNow) q.set('open_now', 'true')
  if (filters.available) q.set('available', 'true')
  return q.toString()
}

export async function getNearest(
  at: { lon: number; lat: number },
  filters: NearestFilters,
  limit: number,
): Promise<NearStation[]> {
  const res = await request<{ results: NearStation[] }>(
    `${API}/stations/nearest?${nearestQuery(at, filters, limit)}`,
  )
  return res.results
}

export function postStationRequest(body: StationRequestBody): Promise<unknown> {
  return request(`${API}/station-requests`, { method: 'POST', body })
}

/** The signed-in user, or null when nobody is. */
export async function getMe(): Promise<Me | null> {
  try {
    return await request<Me>(`${API}/auth/me`)
  } catch (err) {
    if (err instanceof ProblemError && err.status === 401) return null
    throw err
  }
}

export function login(username: string, password: string): Promise<Me> {
  return request<Me>(`${API}/auth/login`, { method: 'POST', body: { username, password } })
}

export function logout(): Promise<void> {
  return request<void>(`${API}/auth/logout`, { method: 'POST' })
}

/** One report; `key` is the submission's Idempotency-Key, the same on every retry of it. */
export function postReport(stationId: number, body: ReportBody, key: string): Promise<Station> {
  return request<Station>(`${API}/stations/${stationId}/reports`, {
    method: 'POST',
    body,
    headers: { 'idempotency-key': key },
  })
}

export async function getReports(stationId: number, limit: number): Promise<Report[]> {
  const res = await request<{ reports: Report[] }>(
    `${API}/stations/${stationId}/reports?limit=${limit}`,
  )
  return res.reports
}

export async function getBusyHours(stationId: number, weeks: number): Promise<BusyHour[]> {
  const res = await request<{ hours: BusyHour[] }>(
    `${API}/stations/${stationId}/busy-hours?weeks=${weeks}`,
  )
  return res.hours
}

export async function getAlerts(): Promise<SupplyLowEvent[]> {
  return (await request<{ alerts: SupplyLowEvent[] }>(`${API}/alerts`)).alerts
}

/** A fresh Idempotency-Key. randomUUID needs a secure context; a phone on plain http has none. */
export function newIdempotencyKey(): string {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID()
  const bytes = crypto.getRandomValues(new Uint8Array(16))
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')
}
