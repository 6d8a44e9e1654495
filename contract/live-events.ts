/**
 * The Socket.IO contract of namespace `/live`, shared by the server and the web app.
 * Type-only: importing it adds nothing to the web bundle.
 */
import type { Availability, Supply } from './vocabulary.ts'
import type { Bbox } from './bbox.ts'

export type { Bbox }

export interface SupplyState {
  level: number
  low: boolean
}

/** A station's live status as pushed to maps and lists. */
export interface StationStatusEvent {
  id: number
  occupancy: number
  capacity: number
  available_spaces: number
  charging_points: number
  charging_points_in_use: number
  supplies: Partial<Record<Supply, SupplyState>>
  availability: Availability
  open_now: boolean
  stale: boolean
  reported_at: string | null
  version: number
  location: { lon: number; lat: number }
}

export interface StationChangedEvent {
  id: number
  /** Why: a new station, an edit, or its retirement. */
  change: 'created' | 'updated' | 'retired'
  station: {
    id: number
    code: string
    name: string
    state: string
    location: { lon: number; lat: number }
  }
  status: StationStatusEvent
}

export interface SupplyLowEvent {
  alert_id: number
  station_id: number
  station_name: string
  item: Supply
  level: number
  threshold: number
  opened_at: string
}

export type SubscribeAck =
  | {
      ok: true
      /** The room zoom level used: 16 sends each report at once, coarser levels batch. */
      level: number
      rooms: number
      /** false: the area holds too many stations to list; its updates still come (see the tiles). */
      complete: boolean
      stations: StationStatusEvent[]
    }
  | { ok: false; error: string }

export interface ServerToClientEvents {
  /** One report, at once: to subscriptions small enough for the finest rooms (a phone's view). */
  'station:status': (status: StationStatusEvent) => void
  /**
   * The reports of a short window, newest status per station: to larger subscriptions
   * (a city on a wall screen), so a burst of reports is one message, not hundreds.
   */
  'station:statuses': (statuses: StationStatusEvent[]) => void
  'station:changed': (event: StationChangedEvent) => void
  'supply:low': (alert: SupplyLowEvent) => void
  /** Sent on connect to managers, planners and admins: the low-stock alerts still open for them. */
  'alerts:open': (alerts: SupplyLowEvent[]) => void
}

export interface ClientToServerEvents {
  subscribe: (args: { bbox: Bbox }, ack: (res: SubscribeAck) => void) => void
  unsubscribe: (args: { bbox?: Bbox }, ack?: (res: { ok: boolean; rooms: number }) => void) => void
}

export const LIVE_NAMESPACE = '/live'
