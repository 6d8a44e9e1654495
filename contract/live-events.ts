/**
 * The Socket.IO contract of namespace `/live`, shared by the server and the web app.
 * Type-only: importing it adds nothing to the web bundle.
 */
import type { z } from 'zod'
import type { liveStatus } from '../server/src/stations/schema.ts'
import type { supplyAlert } from '../server/src/reports/schema.ts'
import type { Bbox } from './bbox.ts'

export type { Bbox }

export type LiveStatus = z.output<typeof liveStatus>

/**
 * A station's live status as pushed to maps and lists: the API's status object (every field,
 * the same types) with what a map needs beside it.
 */
export type StationStatusEvent = LiveStatus & {
  id: number
  capacity: number
  charging_points: number
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

/** A low-stock alert, as GET /api/v1/alerts lists them. */
export type SupplyLowEvent = z.output<typeof supplyAlert>

export type SubscribeAck =
  | {
      ok: true
      /** The room zoom level used: 16 (a phone's view) gets the short window, coarser levels the long one. */
      level: number
      rooms: number
      /** false: the area holds too many stations to list; its updates still come (see the tiles). */
      complete: boolean
      stations: StationStatusEvent[]
    }
  | { ok: false; error: string }

export interface ServerToClientEvents {
  /**
   * Each client gets at most one message per window (50 ms when it follows only a phone's view,
   * 200 ms for larger areas) with the newest status of every station that changed inside its
   * areas: this event when that is one station, else `station:statuses`.
   */
  'station:status': (status: StationStatusEvent) => void
  /** Several stations' newest statuses in one message, as `station:status` explains. */
  'station:statuses': (statuses: StationStatusEvent[]) => void
  'station:changed': (event: StationChangedEvent) => void
  'supply:low': (alert: SupplyLowEvent) => void
  /** Sent on connect to managers, planners and admins: the low-stock alerts still open for them. */
  'alerts:open': (alerts: SupplyLowEvent[]) => void
  /**
   * The server may have missed changes (its change feed was down, or a recovered connection
   * on several nodes): subscribe again for a fresh snapshot.
   */
  resync: () => void
}

export interface ClientToServerEvents {
  subscribe: (args: { bbox: Bbox }, ack: (res: SubscribeAck) => void) => void
  unsubscribe: (args: { bbox?: Bbox }, ack?: (res: { ok: boolean; rooms: number }) => void) => void
}

export const LIVE_NAMESPACE = '/live'
