import { metres } from '../../../contract/sphere.ts'
import {
  API,
  NetworkError,
  OPEN_FOR_MINUTES,
  postStationRequest,
  ProblemError,
  request,
  type Bounds,
  type NearestFilters,
  type NearStation,
  type Station,
  type StationRequestBody,
} from '../shared/api.ts'
import type { LngLat } from '../shared/map.ts'

/**
 * What the courier's page keeps for when the network is gone: a copy of the region's stations
 * with their last known status (Cache Storage, a few MB), the last list shown, and station
 * requests made offline, sent once back online.
 */

const CACHE = 'yizhan-offline-v1'
const COPY_URL = '/offline/stations.json'
const TAKEN_AT = 'X-Taken-At'
/** A copy younger than this is not downloaded again. */
const COPY_MAX_AGE_MS = 15 * 60_000
const COPY_PAGE = 1000
const LAST_LIST_KEY = 'yizhan.lastList'
const QUEUE_KEY = 'yizhan.requestQueue'

export interface StationCopy {
  /** When the copy was taken (ISO): every status in it is at least this old. */
  at: string
  stations: Station[]
}

/** Where the courier looks from: their position, a tap on the map, or a place searched for. */
export type Origin = { at: LngLat } & ({ from: 'gps' | 'tap' } | { from: 'place'; name: string })

export interface LastList {
  origin: Origin
  stations: NearStation[]
  at: string
}

interface StationPage {
  features: { properties: Omit<Station, 'location'>; geometry: { coordinates: number[] } }[]
  next_cursor: string | null
}

export async function readCopy(): Promise<StationCopy | null> {
  if (!('caches' in window)) return null
  const res = await (await caches.open(CACHE)).match(COPY_URL)
  return res ? ((await res.json()) as StationCopy) : null
}

let refreshing: Promise<void> | null = null

/** Downloads the stations inside `bounds` unless the copy is recent; the new copy replaces it. */
export function refreshCopy(bounds: Bounds): Promise<void> {
  // the page coming online and the socket reconnecting both ask: one download at a time
  refreshing ??= downloadCopy(bounds).finally(() => (refreshing = null))
  return refreshing
}

async function downloadCopy(bounds: Bounds): Promise<void> {
  if (!('caches' in window)) return
  // the copy's age is in a header: no need to parse megabytes to learn it is recent
  const cache = await caches.open(CACHE)
  const takenAt = Date.parse((await cache.match(COPY_URL))?.headers.get(TAKEN_AT) ?? '')
  if (Date.now() - takenAt < COPY_MAX_AGE_MS) return
  const at = new Date().toISOString()
  const stations: Station[] = []
  let cursor: string | null = null
  do {
    const q = new URLSearchParams({ bbox: bounds.join(','), limit: String(COPY_PAGE) })
    if (cursor) q.set('cursor', cursor)
    const page: StationPage = await request<StationPage>(`${API}/stations?${q}`, {
      timeoutMs: 30_000,
    })
    for (const { properties, geometry } of page.features) {
      const [lon, lat] = geometry.coordinates as [number, number]
      stations.push({ ...properties, location: { lon, lat } })
    }
    cursor = page.next_cursor
  } while (cursor)
  const copy: StationCopy = { at, stations }
  const headers = { 'Content-Type': 'application/json', [TAKEN_AT]: at }
  await cache.put(COPY_URL, new Response(JSON.stringify(copy), { headers }))
}

/** Open at `now` and for `minutes` more, as far as the copy's closing and opening times tell. */
function openFor(s: Station, now: number, minutes: number): boolean {
  const { status } = s
  if (s.state !== 'active') return false
  if (status.open_now)
    return status.closes_at === null || Date.parse(status.closes_at) >= now + minutes * 60_000
  // it has opened since the copy was taken; when it closes again the copy does not say
  return status.opens_at !== null && Date.parse(status.opens_at) <= now
}

/**
 * The nearest stations in the copy, filtered and ranked as the server does (`order=open_first`:
 * open with room, then full, then closed) on what the copy knows, its last statuses, each
 * marked stale: said so, not guessed fresh.
 */
export function nearestFromCopy(
  copy: StationCopy,
  at: LngLat,
  filters: NearestFilters,
  limit: number,
  now = Date.now(),
): NearStation[] {
  const onlyOpen = filters.openNow || filters.available
  const minutes = onlyOpen ? OPEN_FOR_MINUTES : 0
  // "has space" for an e-bike is a free charger as well as a free seat
  const charger = filters.amenities.includes('ebike_charging')
  const room = (s: Station) =>
    s.status.available_spaces > 0 &&
    (!charger || s.status.charging_points_in_use < s.charging_points)
  const full = (s: Station) => !s.status.stale && !room(s)
  const rank = (s: Station) => {
    if (filters.available) return 0
    if (!openFor(s, now, minutes)) return 2
    return full(s) ? 1 : 0
  }
  return copy.stations
    .filter(
      (s) =>
        filters.amenities.every((a) => s.amenities.includes(a)) &&
        (!onlyOpen || openFor(s, now, minutes)) &&
        (!filters.available || (!s.status.stale && room(s))),
    )
    .map((s) => ({
      station: {
        ...s,
        status: { ...s.status, stale: true },
        distance_m: metres([at.lon, at.lat], [s.location.lon, s.location.lat]),
      },
      rank: rank(s),
    }))
    .sort(
      (a, b) =>
        a.rank - b.rank ||
        a.station.distance_m - b.station.distance_m ||
        a.station.id - b.station.id,
    )
    .slice(0, limit)
    .map((r) => r.station)
}

export function saveLastList(list: LastList): void {
  localStorage.setItem(LAST_LIST_KEY, JSON.stringify(list))
}

export function readLastList(): LastList | null {
  try {
    return JSON.parse(localStorage.getItem(LAST_LIST_KEY) ?? 'null') as LastList | null
  } catch {
    return null
  }
}

interface Queued {
  key: string
  body: StationRequestBody
}

const readQueue = (): Queued[] => {
  try {
    return JSON.parse(localStorage.getItem(QUEUE_KEY) ?? '[]') as Queued[]
  } catch {
    return []
  }
}

/**
 * Sends a station request under its own key; offline it is queued and `false` is returned.
 * The key makes a resend after a lost answer one request, not two.
 */
export async function sendRequest(body: StationRequestBody, key: string): Promise<boolean> {
  try {
    await postStationRequest(body, key)
    return true
  } catch (err) {
    if (!(err instanceof NetworkError)) throw err
    localStorage.setItem(QUEUE_KEY, JSON.stringify([...readQueue(), { key, body }]))
    return false
  }
}

let flushing: Promise<number> | null = null

/** Sends what was queued, oldest first, until the network fails again; how many were sent. */
export function flushRequests(): Promise<number> {
  // the page coming online and the socket reconnecting both ask: one pass at a time
  flushing ??= sendQueued().finally(() => (flushing = null))
  return flushing
}

async function sendQueued(): Promise<number> {
  let sent = 0
  for (const item of readQueue()) {
    try {
      await postStationRequest(item.body, item.key)
      sent++
    } catch (err) {
      const later = err instanceof ProblemError && (err.status === 429 || err.status >= 500)
      if (err instanceof NetworkError || later) break
      // refused for good (a 4xx): a resend would be refused again
      console.warn(`queued station request dropped: ${String(err)}`)
    }
    localStorage.setItem(QUEUE_KEY, JSON.stringify(readQueue().filter((q) => q.key !== item.key)))
  }
  return sent
}

export const queuedRequests = (): number => readQueue().length
