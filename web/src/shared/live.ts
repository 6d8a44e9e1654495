import { io, type Socket } from 'socket.io-client'
import {
  LIVE_NAMESPACE,
  type Bbox,
  type ClientToServerEvents,
  type ServerToClientEvents,
  type StationChangedEvent,
  type StationStatusEvent,
  type SubscribeAck,
  type SupplyLowEvent,
} from '../../../contract/live-events.ts'

export type { Bbox, StationStatusEvent, SupplyLowEvent }

const ACK_TIMEOUT_MS = 10_000
const RETRY_MS = 3_000

/** connecting: first connection; live: following; zoom: the view is too large to follow. */
export type LiveState = 'connecting' | 'live' | 'zoom' | 'reconnecting'

export interface LiveHandlers {
  /** A status newer than any seen before for that station. */
  status?(status: StationStatusEvent): void
  changed?(event: StationChangedEvent): void
  supplyLow?(alert: SupplyLowEvent): void
  openAlerts?(alerts: SupplyLowEvent[]): void
  state?(state: LiveState): void
}

type LiveSocket = Socket<ServerToClientEvents, ClientToServerEvents>

const within = (inner: Bbox, outer: Bbox) =>
  inner[0] >= outer[0] && inner[1] >= outer[1] && inner[2] <= outer[2] && inner[3] <= outer[3]

/**
 * The `/live` connection: follows a set of areas (subscribing again after a reconnect that could
 * not be recovered), and keeps per station the newest status seen, so that an older event or
 * snapshot never overwrites a newer one.
 */
export class LiveClient {
  private readonly socket: LiveSocket
  private readonly latest = new Map<number, StationStatusEvent>()
  /** What to follow; null: the view is too large to follow. */
  private areas: Bbox[] | null = []
  /** What the server was last asked to follow. */
  private following: Bbox[] = []
  /** Changed while disconnected: a recovered session still follows the old areas. */
  private dirty = false
  private round = 0
  private retry: ReturnType<typeof setTimeout> | undefined
  private current: LiveState = 'connecting'

  /**
   * `lazy`: connect only once there is an area to follow (the courier's phone has none until it
   * shows stations, and a socket's handshake is work a weak phone does not need at start).
   */
  constructor(
    private readonly handlers: LiveHandlers,
    lazy = false,
  ) {
    this.socket = io(LIVE_NAMESPACE, { reconnectionDelayMax: 10_000, autoConnect: !lazy })
    // nothing followed yet, as the pill says when zoomed out
    if (lazy) queueMicrotask(() => this.setState('zoom'))
    const socket = this.socket
    socket.on('connect', () => {
      if (socket.recovered && !this.dirty) this.setState(this.areas ? 'live' : 'zoom')
      else this.subscribe()
    })
    socket.on('disconnect', (reason) => {
      this.setState('reconnecting')
      // socket.io retries dropped connections by itself, but not one the server ended
      if (reason === 'io server disconnect') socket.connect()
    })
    socket.on('connect_error', () => {
      if (this.current !== 'connecting') this.setState('reconnecting')
      // nor one refused by the server's middleware
      if (!socket.active) this.later(() => socket.connect())
    })
    // the server may have missed changes: a fresh snapshot of the same areas
    socket.on('resync', () => this.subscribe())
    socket.on('station:status', (s) => this.apply(s))
    // larger areas get the reports of a short window at once
    socket.on('station:statuses', (batch) => {
      for (const s of batch) this.apply(s)
    })
    socket.on('station:changed', (e) => {
      this.apply(e.status)
      handlers.changed?.(e)
    })
    socket.on('supply:low', (a) => handlers.supplyLow?.(a))
    socket.on('alerts:open', (a) => handlers.openAlerts?.(a))
  }

  /** The newest status seen for a station, if any. */
  latestOf(id: number): StationStatusEvent | undefined {
    return this.latest.get(id)
  }

  /**
   * Follows these areas instead of the previous ones; null when the view is too large to follow.
   * Areas inside those already followed ask nothing new of the server.
   */
  watch(areas: Bbox[] | null): void {
    if (areas === null && this.areas === null) return
    const covered = (a: Bbox) => this.following.some((f) => within(a, f))
    this.areas = areas
    if (!this.socket.active) {
      if (areas?.length) this.socket.connect()
      return
    }
    if (areas?.length && this.current === 'live' && areas.every(covered)) return
    if (this.socket.connected) this.subscribe()
    else this.dirty = true
  }

  close(): void {
    clearTimeout(this.retry)
    this.socket.close()
  }

  /** Replaces whatever the server follows for this client with the current areas. */
  private subscribe(): void {
    clearTimeout(this.retry)
    const round = ++this.round
    const areas = this.areas ?? []
    this.dirty = false
    this.socket.emit('unsubscribe', {})
    this.following = areas
    if (!areas.length) return this.setState(this.areas ? 'live' : 'zoom')
    let pending = areas.length
    for (const bbox of areas) {
      this.socket
        .timeout(ACK_TIMEOUT_MS)
        .emit('subscribe', { bbox }, (err: Error | null, ack: SubscribeAck) => {
          // a snapshot is data like any other; only the latest round decides the state
          if (!err && ack.ok) for (const s of ack.stations) this.apply(s)
          if (round !== this.round) return
          if (err || !ack.ok) {
            const reason = err ? err.message : ack.ok ? '' : ack.error
            this.following = []
            if (/zoom in/.test(reason)) return this.setState('zoom')
            console.warn(`live subscription failed (${reason}); retrying`)
            this.setState('reconnecting')
            return this.later(() => this.socket.connected && this.subscribe())
          }
          if (--pending === 0) this.setState('live')
        })
    }
  }

  private apply(s: StationStatusEvent): void {
    const known = this.latest.get(s.id)
    if (known && known.version >= s.version) return
    this.latest.set(s.id, s)
    this.handlers.status?.(s)
  }

  private later(fn: () => void): void {
    clearTimeout(this.retry)
    this.retry = setTimeout(fn, RETRY_MS)
  }

  private setState(state: LiveState): void {
    if (state === this.current) return
    this.current = state
    this.handlers.state?.(state)
  }
}
