import type { Feature, MultiPolygon, Polygon } from 'geojson'
import type { z } from 'zod'
import type { me } from '../../../server/src/auth/schema.ts'
import type {
  gapCell,
  gapsResponse,
  suggestionsResponse,
  summaryResponse,
  whatIfResponse,
} from '../../../server/src/coverage/schema.ts'
import type { meta } from '../../../server/src/meta/schema.ts'
import type { busyHour, ReportBody, statusReport } from '../../../server/src/reports/schema.ts'
import type { createRequestBody, stationRequestPage } from '../../../server/src/requests/schema.ts'
import type { placeLabels, station } from '../../../server/src/stations/schema.ts'
import type { placeFeature } from '../../../server/src/places/schema.ts'
import { DEFAULT_DATASET, type TravelMode } from '../../../contract/coverage.ts'
import type { Amenity } from '../../../contract/vocabulary.ts'
import type { Bbox } from '../../../contract/bbox.ts'
import type { SupplyLowEvent } from '../../../contract/live-events.ts'

export const API = '/api/v1'

export type Bounds = Bbox

/** Hunan province, the default data set's region. */
export const HUNAN_BOUNDS: Bounds = [108.8, 24.65, 114.25, 30.1]

type ServerMeta = z.output<typeof meta>
/** The server's meta, its bounds defaulting to Hunan's when there are no stations. */
export type Meta = Omit<ServerMeta, 'bounds' | 'mapStyleUrl'> & { bounds: Bounds }

export type Station = z.output<typeof station>
export type StationStatus = Station['status']
export type NearStation = Station & { distance_m: number }
export type Me = z.output<typeof me>
export type { ReportBody, SupplyLowEvent, TravelMode }

export type Report = z.output<typeof statusReport>
export type BusyHour = z.output<typeof busyHour>

export interface NearestFilters {
  amenities: Amenity[]
  openNow: boolean
  available: boolean
}

export type StationRequestBody = z.input<typeof createRequestBody>

export type Outline = Feature<Polygon | MultiPolygon>
export type PlaceLabels = z.output<typeof placeLabels>

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
  method?: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE'
  body?: unknown
  headers?: Record<string, string>
  timeoutMs?: number
  /** Aborts the request (a newer one replaced it); it then fails as a NetworkError. */
  signal?: AbortSignal
}

/** Aborts after `ms` or with `signal` (AbortSignal.any is too new for many phones). */
function timeoutOr(ms: number, signal?: AbortSignal): AbortSignal {
  if (!signal) return AbortSignal.timeout(ms)
  const controller = new AbortController()
  const timer = setTimeout(
    () => controller.abort(new DOMException('timed out', 'TimeoutError')),
    ms,
  )
  signal.addEventListener(
    'abort',
    () => {
      clearTimeout(timer)
      controller.abort(signal.reason)
    },
    { once: true },
  )
  return controller.signal
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
      signal: timeoutOr(opts.timeoutMs ?? 10_000, opts.signal),
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

const BASEMAP_FIELDS = {
  offline: [],
  tianditu: ['key'],
  pmtiles: ['url'],
  osm: ['tiles', 'attribution'],
  style: ['url'],
} as const

/** The basemap meta names, or the offline one when it names none this page knows. */
function basemapOf(meta: Partial<ServerMeta>): Meta['basemap'] {
  const b = meta.basemap as Record<string, unknown> | undefined
  const kind = b?.kind
  if (typeof kind === 'string' && Object.hasOwn(BASEMAP_FIELDS, kind)) {
    const fields = BASEMAP_FIELDS[kind as keyof typeof BASEMAP_FIELDS]
    if (fields.every((f) => typeof b![f] === 'string' && b![f])) return b as Meta['basemap']
  }
  // a server from before basemap presets
  if (typeof meta.mapStyleUrl === 'string' && meta.mapStyleUrl)
    return { kind: 'style', url: meta.mapStyleUrl }
  return { kind: 'offline' }
}

/** The server's meta, or null when it cannot be had (the map then runs on its defaults). */
export async function getMeta(): Promise<Meta | null> {
  try {
    const meta = await request<Partial<ServerMeta>>(`${API}/meta`, { timeoutMs: 3_000 })
    return {
      basemap: basemapOf(meta),
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

/** Where the offline basemap writes city and district names; none when it cannot be had. */
export async function getPlaceLabels(): Promise<PlaceLabels> {
  try {
    return await request<PlaceLabels>(`${API}/stations/labels`)
  } catch (err) {
    console.warn(`place labels unavailable: ${String(err)}`)
    return { type: 'FeatureCollection', features: [] }
  }
}

export function getStation(id: number): Promise<Station> {
  return request<Station>(`${API}/stations/${id}`)
}

/** How many stations the courier's nearest list shows. */
export const NEAREST_LIMIT = 10

/**
 * An "open now" or "has space" station must stay open this many more minutes: time to ride
 * there and rest a while, so the top answer at 21:58 is not one closing at 22:00.
 */
export const OPEN_FOR_MINUTES = 15

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
  if (filters.openNow || filters.available) q.set('open_for', String(OPEN_FOR_MINUTES))
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

export type Place = z.output<typeof placeFeature>

/** Places named like `q`, best first; `area` (the view) ranks nearer ones first among equals. */
export async function getPlaces(
  q: string,
  opts: { limit: number; area?: Bounds | null; signal?: AbortSignal },
): Promise<Place[]> {
  const query = new URLSearchParams({ q, limit: String(opts.limit) })
  if (opts.area) query.set('bbox', opts.area.map((v) => v.toFixed(5)).join(','))
  const res = await request<{ features: Place[] }>(`${API}/places?${query}`, {
    signal: opts.signal,
  })
  return res.features
}

/** `key` (Idempotency-Key) makes a resend of the same request record it once. */
export function postStationRequest(body: StationRequestBody, key: string): Promise<unknown> {
  return request(`${API}/station-requests`, {
    method: 'POST',
    body,
    headers: { 'idempotency-key': key },
  })
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

// ---------- coverage (planner, admin) ----------

/** How far a station reaches: a straight-line radius, or minutes of travel (see the API docs). */
export type Reach = { radius_m: number } | { minutes: number; mode: TravelMode }

export interface CoverageParams {
  bbox: Bounds
  reach: Reach
  cell_m: number
  /** Stations that must be within reach for demand to count as covered; 2 is cross coverage. */
  min_stations: number
  dataset: string
}

/** The data set in a query or body, left out when it is the default (shorter, shared links). */
const datasetOf = (p: Pick<CoverageParams, 'dataset'>): Record<string, string> =>
  p.dataset === DEFAULT_DATASET ? {} : { dataset: p.dataset }

export type GapsResponse = z.output<typeof gapsResponse>
export type GapCell = z.output<typeof gapCell>
export type GapCellProperties = GapCell['properties']
export type SuggestionsResponse = z.output<typeof suggestionsResponse>
export type Suggestion = SuggestionsResponse['suggestions'][number]
export type WhatIfResponse = z.output<typeof whatIfResponse>
export type CoverageByCity = z.output<typeof summaryResponse>
export type StationRequestFeature = z.output<typeof stationRequestPage>['features'][number]

/** Heavy analyses run under a statement timeout on the server; this leaves room for a queue. */
const COVERAGE_TIMEOUT_MS = 30_000

function reachQuery(reach: Reach): Record<string, string> {
  return 'radius_m' in reach
    ? { radius_m: String(reach.radius_m) }
    : { minutes: String(reach.minutes), mode: reach.mode }
}

/** The query string of the coverage GETs; the browser tests build the same one by hand. */
export function coverageQuery(p: CoverageParams, extra: Record<string, string> = {}): string {
  return new URLSearchParams({
    bbox: p.bbox.join(','),
    ...reachQuery(p.reach),
    cell_m: String(p.cell_m),
    min_stations: String(p.min_stations),
    ...datasetOf(p),
    ...extra,
  }).toString()
}

export function getGaps(p: CoverageParams, include: 'gaps' | 'all'): Promise<GapsResponse> {
  return request<GapsResponse>(`${API}/coverage/gaps?${coverageQuery(p, { include })}`, {
    timeoutMs: COVERAGE_TIMEOUT_MS,
  })
}

export function getSuggestions(p: CoverageParams, k: number): Promise<SuggestionsResponse> {
  return request<SuggestionsResponse>(
    `${API}/coverage/suggestions?${coverageQuery(p, { k: String(k) })}`,
    { timeoutMs: COVERAGE_TIMEOUT_MS },
  )
}

export function postWhatIf(
  p: CoverageParams,
  sites: [lon: number, lat: number][],
): Promise<WhatIfResponse> {
  const body = { bbox: p.bbox, ...p.reach, min_stations: p.min_stations, ...datasetOf(p), sites }
  return request<WhatIfResponse>(`${API}/coverage/what-if`, {
    method: 'POST',
    body,
    timeoutMs: COVERAGE_TIMEOUT_MS,
  })
}

/** Coverage of all demand per city, with the reach and min_stations of `p` (its bbox unused). */
export function getCoverageByCity(p: Pick<CoverageParams, 'reach' | 'min_stations' | 'dataset'>) {
  const q = new URLSearchParams({
    ...reachQuery(p.reach),
    min_stations: String(p.min_stations),
    ...datasetOf(p),
    group_by: 'city',
  })
  return request<CoverageByCity>(`${API}/coverage/summary?${q}`, {
    timeoutMs: COVERAGE_TIMEOUT_MS,
  })
}

/** The demand data sets planners may choose from. */
export async function getDatasets(): Promise<{ name: string; points: number }[]> {
  return (
    await request<{ datasets: { name: string; points: number }[] }>(`${API}/coverage/datasets`)
  ).datasets
}

/** Station requests in a bbox, up to `pages` pages of 1,000, and whether there were more. */
export async function getStationRequests(
  bbox: Bounds,
  pages = 5,
): Promise<{ features: StationRequestFeature[]; more: boolean }> {
  const features: StationRequestFeature[] = []
  let cursor: string | null = null
  for (let page = 0; page < pages; page++) {
    const q = new URLSearchParams({ bbox: bbox.join(','), limit: '1000' })
    if (cursor) q.set('cursor', cursor)
    const res = await request<{ features: StationRequestFeature[]; next_cursor: string | null }>(
      `${API}/station-requests?${q}`,
    )
    features.push(...res.features)
    cursor = res.next_cursor
    if (!cursor) break
  }
  return { features, more: cursor !== null }
}
