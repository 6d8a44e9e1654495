import type http from 'node:http'
import type { Knex } from 'knex'
import { Server, type Namespace, type Socket } from 'socket.io'
import { resolveUser } from '../auth/middleware.ts'
import type { AuthUser } from '../auth/queries.ts'
import {
  selectStationsInBbox,
  toStation,
  type Station,
  type StationRow,
  type StatusRules,
} from '../stations/queries.ts'
import { openAlerts } from '../reports/queries.ts'
import {
  LIVE_NAMESPACE,
  type ClientToServerEvents,
  type ServerToClientEvents,
  type StationStatusEvent,
  type SupplyLowEvent,
} from './events.ts'
import {
  MAX_ROOMS_PER_SOCKET,
  MAX_SNAPSHOT_STATIONS,
  subscribeArgs,
  unsubscribeArgs,
} from './schema.ts'
import { roomsCovering, roomsOf } from './tiles.ts'

interface SocketData {
  user?: AuthUser
}
type LiveNamespace = Namespace<
  ClientToServerEvents,
  ServerToClientEvents,
  Record<string, never>,
  SocketData
>
type LiveSocket = Socket<
  ClientToServerEvents,
  ServerToClientEvents,
  Record<string, never>,
  SocketData
>

export function toStatusEvent(s: Station): StationStatusEvent {
  return {
    id: s.id,
    occupancy: s.status.occupancy,
    capacity: s.capacity,
    available_spaces: s.status.available_spaces,
    charging_points: s.charging_points,
    charging_points_in_use: s.status.charging_points_in_use,
    supplies: s.status.supplies,
    availability: s.status.availability,
    open_now: s.status.open_now,
    stale: s.status.stale,
    reported_at: s.status.reported_at,
    version: s.status.version,
    location: s.location,
  }
}

const PLANNERS_ROOM = 'role:planners'
const userRoom = (id: number) => `user:${id}`

/**
 * The `/live` Socket.IO namespace. Routes publish through it after their transaction commits;
 * before `attach` (tests without a listening server) publishing is a no-op.
 */
export class LiveHub {
  io?: Server<ClientToServerEvents, ServerToClientEvents>
  private nsp?: LiveNamespace

  constructor(
    private readonly knex: Knex,
    private readonly rules: () => StatusRules,
    private readonly options: {
      recoverySeconds: number
      /** Window for the batched `station:statuses` of coarse rooms. */
      batchMs?: number
      log?: (err: unknown) => void
    } = {
      recoverySeconds: 120,
    },
  ) {}

  attach(server: http.Server, adapter?: Parameters<Server['adapter']>[0]) {
    this.io = new Server<ClientToServerEvents, ServerToClientEvents>(server, {
      // A client that drops briefly gets the missed events replayed and keeps its rooms.
      ...(this.options.recoverySeconds > 0
        ? {
            connectionStateRecovery: {
              maxDisconnectionDuration: this.options.recoverySeconds * 1000,
              skipMiddlewares: false,
            },
          }
        : {}),
      ...(adapter ? { adapter } : {}),
    })
    const nsp = this.io.of(LIVE_NAMESPACE) as LiveNamespace
    this.nsp = nsp
    nsp.use(async (socket, next) => {
      try {
        const token = (socket.handshake.auth as { token?: unknown })?.token
        socket.data.user = await resolveUser(this.knex, {
          cookie: socket.handshake.headers.cookie,
          authorization:
            typeof token === 'string' ? `Bearer ${token}` : socket.handshake.headers.authorization,
        })
        if (token !== undefined && !socket.data.user) return next(new Error('invalid token'))
        next()
      } catch {
        next(new Error('cannot authenticate now; retry'))
      }
    })
    nsp.on('connection', (socket) => this.onConnection(socket))
    return this.io
  }

  async close() {
    clearTimeout(this.flushTimer)
    await this.io?.close()
  }

  private onConnection(socket: LiveSocket) {
    const user = socket.data.user
    if (user) {
      void socket.join(userRoom(user.id))
      if (user.role !== 'manager') void socket.join(PLANNERS_ROOM)
      openAlerts(this.knex, user)
        .then((alerts) => socket.emit('alerts:open', alerts))
        .catch((err) => this.options.log?.(err))
    }

    socket.on('subscribe', async (args, ack) => {
      if (typeof ack !== 'function') return
      const parsed = subscribeArgs.safeParse(args)
      if (!parsed.success) {
        return ack({ ok: false, error: parsed.error.issues.map((i) => i.message).join('; ') })
      }
      const covering = roomsCovering(parsed.data.bbox)
      if (!covering) return ack({ ok: false, error: 'bbox too large: zoom in' })
      if (new Set([...this.tileRooms(socket), ...covering.rooms]).size > MAX_ROOMS_PER_SOCKET) {
        return ack({ ok: false, error: 'too many subscriptions: unsubscribe first' })
      }
      // Join before reading, so no update committed after the snapshot's read is missed.
      await socket.join(covering.rooms)
      try {
        const stations = await this.snapshot(parsed.data.bbox)
        if (!stations) {
          await Promise.all(covering.rooms.map((r) => socket.leave(r)))
          return ack({ ok: false, error: `more than ${MAX_SNAPSHOT_STATIONS} stations: zoom in` })
        }
        ack({ ok: true, level: covering.level, rooms: this.tileRooms(socket).length, stations })
      } catch (err) {
        this.options.log?.(err)
        ack({ ok: false, error: 'cannot read stations now; retry' })
      }
    })

    socket.on('unsubscribe', async (args, ack) => {
      const parsed = unsubscribeArgs.safeParse(args ?? {})
      const rooms =
        parsed.success && parsed.data.bbox
          ? (roomsCovering(parsed.data.bbox)?.rooms ?? [])
          : this.tileRooms(socket)
      await Promise.all(rooms.map((r) => socket.leave(r)))
      if (typeof ack === 'function')
        ack({ ok: parsed.success, rooms: this.tileRooms(socket).length })
    })
  }

  private tileRooms(socket: LiveSocket) {
    return [...socket.rooms].filter((r) => r.startsWith('t'))
  }

  private async snapshot(bbox: [number, number, number, number]) {
    const rows: StationRow[] = await selectStationsInBbox(this.knex, bbox).limit(
      MAX_SNAPSHOT_STATIONS + 1,
    )
    if (rows.length > MAX_SNAPSHOT_STATIONS) return null
    const rules = this.rules()
    return rows.map((r) => toStatusEvent(toStation(r, rules)))
  }

  /** After a report is committed: its status to the station's area, new alerts to its managers and planners. */
  reportAccepted(station: Station, alerts: SupplyLowEvent[]) {
    const nsp = this.nsp
    if (!nsp) return
    const event = toStatusEvent(station)
    const [immediate, ...batched] = roomsOf(station.location.lon, station.location.lat)
    nsp.to(immediate!).emit('station:status', event)
    for (const room of batched) this.batch(room, event)
    if (!alerts.length) return
    this.knex('station_managers')
      .where({ station_id: station.id })
      .pluck('user_id')
      .then((ids: number[]) => {
        for (const alert of alerts) {
          nsp.to([PLANNERS_ROOM, ...ids.map(userRoom)]).emit('supply:low', alert)
        }
      })
      .catch((err) => this.options.log?.(err))
  }

  private pending = new Map<string, Map<number, StationStatusEvent>>()
  private flushTimer?: NodeJS.Timeout

  /** Coarse rooms get one message per window with the newest status of each station reported in it. */
  private batch(room: string, event: StationStatusEvent) {
    let statuses = this.pending.get(room)
    if (!statuses) this.pending.set(room, (statuses = new Map()))
    const known = statuses.get(event.id)
    if (!known || known.version < event.version) statuses.set(event.id, event)
    this.flushTimer ??= setTimeout(() => this.flush(), this.options.batchMs ?? 200)
  }

  private flush() {
    this.flushTimer = undefined
    const pending = this.pending
    this.pending = new Map()
    for (const [room, statuses] of pending)
      this.nsp?.to(room).emit('station:statuses', [...statuses.values()])
  }

  /** After a station is created, edited or retired; a moved station is announced in both areas. */
  stationChanged(
    station: Station,
    change: 'created' | 'updated' | 'retired',
    before?: { lon: number; lat: number },
  ) {
    if (!this.nsp) return
    const rooms = new Set(roomsOf(station.location.lon, station.location.lat))
    if (before) for (const r of roomsOf(before.lon, before.lat)) rooms.add(r)
    this.nsp.to([...rooms]).emit('station:changed', {
      id: station.id,
      change,
      station: {
        id: station.id,
        code: station.code,
        name: station.name,
        state: station.state,
        location: station.location,
      },
      status: toStatusEvent(station),
    })
  }
}
