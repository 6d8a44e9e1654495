import type http from 'node:http'
import { setImmediate } from 'node:timers/promises'
import type { Knex } from 'knex'
import { Server, type Namespace, type Socket } from 'socket.io'
import pLimit, { type LimitFunction } from 'p-limit'
import proxyaddr from 'proxy-addr'
import { RateLimiterMemory, type RateLimiterAbstract } from 'rate-limiter-flexible'
import type { Config } from '../config.ts'
import type { Database } from '../db/knex.ts'
import type { RateLimits } from '../http/rateLimit.ts'
import { resolveUser } from '../auth/middleware.ts'
import type { AuthUser, Credential } from '../auth/queries.ts'
import {
  moreStationsInBbox,
  selectStationsInBbox,
  toStation,
  type Station,
  type StationRow,
} from '../stations/queries.ts'
import type { StatusRules } from '../stations/status.ts'
import {
  LIVE_NAMESPACE,
  type Bbox,
  type ClientToServerEvents,
  type ServerToClientEvents,
  type StationStatusEvent,
  type SubscribeAck,
  type SupplyLowEvent,
} from '../../../contract/live-events.ts'
import { MAX_ROOMS_PER_SOCKET, subscribeArgs, unsubscribeArgs } from './schema.ts'
import { isTileRoom, roomsCovering, roomsOf } from './tiles.ts'
import { Fanout, withArea, type Area, type Following } from './fanout.ts'

interface SocketData {
  user?: AuthUser
  /** The client's address (through trusted proxies), for per-address limits. */
  address: string
  /** The areas it follows. */
  live?: Following
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

/** What the hub asks of the rest of the app. */
export interface LiveLookups {
  /** The low-stock alerts still open that a user may see, sent when it connects. */
  openAlerts(user: AuthUser): Promise<SupplyLowEvent[]>
  /** The users who manage a station, who get its alerts. */
  managersOf(stationId: number): Promise<number[]>
}

export type LiveConfig = Pick<
  Config,
  | 'LIVE_RECOVERY_SECONDS'
  | 'LIVE_BATCH_MS'
  | 'LIVE_FINE_BATCH_MS'
  | 'LIVE_MAX_CONNECTIONS_PER_ADDRESS'
  | 'LIVE_SUBSCRIBES_PER_MINUTE'
  | 'LIVE_SUBSCRIBES_PER_ADDRESS_PER_MINUTE'
  | 'LIVE_SNAPSHOT_CONCURRENCY'
  | 'LIVE_SNAPSHOT_MAX_STATIONS'
  | 'LIVE_MAX_BUFFERED_BYTES'
  | 'TRUST_PROXY'
>

export function toStatusEvent(s: Station): StationStatusEvent {
  const { id, capacity, charging_points, location } = s
  return { id, capacity, charging_points, location, ...s.status }
}

const PLANNERS_ROOM = 'role:planners'
const userRoom = (id: number) => `user:${id}`
const credentialRoom = (c: Credential) =>
  c.kind === 'session' ? `session:${c.hash}` : `token:${c.id}`
/** Rooms only a signed-in user may be in; re-decided on every (re)connection. */
const PRIVATE_ROOM = /^(user|role|session|token):/
/** Events sent to private rooms, never replayed to a recovered connection. */
const PRIVATE_EVENTS = new Set<string>(['supply:low'])
/**
 * Subscribes one connection may have waiting behind the one being answered: more than a
 * manager's view asks at once (one area per station). Each is read only once the client has
 * taken the previous answers, so the bytes limit still bounds what waits for it.
 */
const MAX_WAITING_SUBSCRIBES = 16
const SWEEP_MS = 1000
// setTimeout's longest delay; a credential that lives longer is checked again then.
const MAX_TIMER_MS = 2 ** 31 - 1

/** Bytes written to a connection that its client has not read yet (engine.io and ws buffers). */
function unreadBytes(socket: LiveSocket): number {
  const conn = socket.conn as unknown as {
    writeBuffer: { data?: string | ArrayBuffer }[]
    transport: { socket?: { bufferedAmount?: number } }
  }
  let bytes = conn.transport.socket?.bufferedAmount ?? 0
  for (const p of conn.writeBuffer)
    bytes += typeof p.data === 'string' ? p.data.length : (p.data?.byteLength ?? 0)
  return bytes
}

/**
 * The `/live` Socket.IO namespace. The change feed (feed.ts) tells it what committed; before
 * `attach` (tests without a listening server) that is a no-op.
 *
 * One client cannot starve the others: each connection's subscribes are answered one at a
 * time (a few may wait, more are refused), subscribes are rate-limited per connection and per
 * address, snapshots share a few database connections, connections per address are capped,
 * and a client that stops reading is dropped once it leaves LIVE_MAX_BUFFERED_BYTES unread.
 */
export class LiveHub {
  io?: Server<ClientToServerEvents, ServerToClientEvents>
  private nsp?: LiveNamespace
  private fanout?: Fanout
  private readonly connections = new Map<string, number>()
  private readonly snapshots: LimitFunction
  private readonly subscribesPerSocket: RateLimiterMemory
  private readonly subscribesPerAddress: RateLimiterAbstract
  private sweepTimer?: NodeJS.Timeout

  private readonly knex: Knex
  private clustered = false
  private readonly trusted: ReturnType<typeof proxyaddr.compile>

  constructor(
    db: Database,
    private readonly rules: () => StatusRules,
    private readonly config: LiveConfig,
    private readonly lookups: LiveLookups,
    private readonly log: (err: unknown) => void = () => {},
    limits: RateLimits,
  ) {
    this.knex = db.knex
    this.trusted = proxyaddr.compile(config.TRUST_PROXY)
    // The embedded database runs one query at a time: a snapshot must not queue several
    // ahead of a courier's query.
    this.snapshots = pLimit(db.backend === 'pglite' ? 1 : config.LIVE_SNAPSHOT_CONCURRENCY)
    this.subscribesPerSocket = new RateLimiterMemory({
      keyPrefix: 'live-socket',
      points: config.LIVE_SUBSCRIBES_PER_MINUTE,
      duration: 60,
    })
    // A connection lives on one node, an address reaches them all.
    this.subscribesPerAddress = limits.limiter({
      keyPrefix: 'live-address',
      points: config.LIVE_SUBSCRIBES_PER_ADDRESS_PER_MINUTE,
      duration: 60,
    })
  }

  attach(server: http.Server, adapter?: Parameters<Server['adapter']>[0]) {
    const recoverySeconds = this.config.LIVE_RECOVERY_SECONDS
    this.io = new Server<ClientToServerEvents, ServerToClientEvents>(server, {
      // A client that drops briefly gets the missed events replayed and keeps its rooms.
      ...(recoverySeconds > 0
        ? {
            connectionStateRecovery: {
              maxDisconnectionDuration: recoverySeconds * 1000,
              skipMiddlewares: false,
            },
          }
        : {}),
      ...(adapter ? { adapter } : {}),
    })
    this.clustered = adapter !== undefined
    const nsp = this.io.of(LIVE_NAMESPACE) as LiveNamespace
    this.nsp = nsp
    this.withholdPrivateOnRecovery(nsp)
    this.fanout = new Fanout(
      nsp as unknown as Namespace,
      { fine: this.config.LIVE_FINE_BATCH_MS, coarse: this.config.LIVE_BATCH_MS },
      recoverySeconds > 0 && !this.clustered,
    )
    nsp.use((socket, next) => {
      const address = proxyaddr(socket.request, this.trusted)
      if ((this.connections.get(address) ?? 0) >= this.config.LIVE_MAX_CONNECTIONS_PER_ADDRESS)
        return next(new Error('too many live connections from your address'))
      socket.data.address = address
      next()
    })
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
    this.sweepTimer = setInterval(() => this.dropSlowReaders(), SWEEP_MS)
    this.sweepTimer.unref()
    return this.io
  }

  async close() {
    this.fanout?.close()
    clearInterval(this.sweepTimer)
    await this.io?.close()
  }

  /** Ends, on every node, the live connections made with a session or token that just ended. */
  endCredential(credential: Credential) {
    this.nsp?.in(credentialRoom(credential)).disconnectSockets(true)
  }

  /** Ends, on every node, all live connections of a user (a disabled account). */
  endUser(userId: number) {
    this.nsp?.in(userRoom(userId)).disconnectSockets(true)
  }

  /** Private events a recovering connection missed, held until its user is known again. */
  private readonly withheld = new Map<string, { userId?: number; events: unknown[][] }>()

  /**
   * A recovered connection gets its rooms and missed events back before the middlewares have
   * checked who it is now: private rooms and events are held back here, and the connection
   * handler gives them back only to the same user, still signed in.
   */
  private withholdPrivateOnRecovery(nsp: LiveNamespace) {
    const adapter = nsp.adapter
    const restore = adapter.restoreSession.bind(adapter)
    adapter.restoreSession = async (pid, offset) => {
      const session = await restore(pid, offset)
      if (!session) return session
      const isPrivate = (p: unknown[]) => PRIVATE_EVENTS.has(String(p[0]))
      const events = session.missedPackets.filter(isPrivate)
      if (events.length) {
        const userId = (session.data as Partial<SocketData> | undefined)?.user?.id
        this.withheld.set(session.sid, { userId, events })
        // Dropped if the connection never completes (refused by a middleware).
        setTimeout(() => this.withheld.delete(session.sid), 30_000).unref()
      }
      return {
        ...session,
        rooms: session.rooms.filter((r) => !PRIVATE_ROOM.test(r)),
        missedPackets: session.missedPackets.filter((p: unknown[]) => !isPrivate(p)),
      }
    }
  }

  private onConnection(socket: LiveSocket) {
    const { address, user } = socket.data
    const missed = this.withheld.get(socket.id)
    this.withheld.delete(socket.id)
    // Live events go out node-locally, and a cluster adapter keeps only what it broadcast
    // for recovery: a recovered connection there reads its areas afresh.
    if (socket.recovered && this.clustered) socket.emit('resync')
    this.connections.set(address, (this.connections.get(address) ?? 0) + 1)
    socket.on('disconnect', () => {
      const left = (this.connections.get(address) ?? 1) - 1
      if (left > 0) this.connections.set(address, left)
      else this.connections.delete(address)
    })
    if (user) {
      const rooms = [userRoom(user.id), credentialRoom(user.credential)]
      if (user.role !== 'manager') rooms.push(PLANNERS_ROOM)
      void socket.join(rooms)
      // A session or token that expires ends its live connection too (the client reconnects
      // and is then anonymous, or refused for a token).
      const expiry = setTimeout(
        () => socket.disconnect(true),
        Math.min(MAX_TIMER_MS, new Date(user.expires_at).getTime() - Date.now()),
      )
      socket.on('disconnect', () => clearTimeout(expiry))
      if (missed?.userId === user.id)
        for (const [event, ...args] of missed.events)
          socket.emit(event as 'supply:low', ...(args as [SupplyLowEvent]))
      this.lookups
        .openAlerts(user)
        .then((alerts) => socket.emit('alerts:open', alerts))
        .catch((err) => this.log(err))
    }

    let waiting = 0
    let previous: Promise<unknown> = Promise.resolve()
    socket.on('subscribe', async (args, ack) => {
      if (typeof ack !== 'function') return
      const refused = await this.admitSubscribe(socket)
      if (refused) return ack({ ok: false, error: refused })
      if (waiting > MAX_WAITING_SUBSCRIBES)
        return ack({ ok: false, error: 'too many subscribes waiting: wait for their answers' })
      waiting++
      // One snapshot per connection at a time, in the order asked. Each waits for the event
      // loop's next turn: the embedded database answers in microtasks, so a queue of snapshots
      // would otherwise keep every other request from being read.
      const answer = previous.then(() => setImmediate()).then(() => this.subscribe(socket, args))
      previous = answer.finally(() => waiting--)
      ack(await answer)
    })

    socket.on('unsubscribe', async (args, ack) => {
      const parsed = unsubscribeArgs.safeParse(args ?? {})
      if (parsed.success) {
        const gone = parsed.data.bbox
        const within = (a: Bbox) =>
          !!gone && a[0] >= gone[0] && a[1] >= gone[1] && a[2] <= gone[2] && a[3] <= gone[3]
        const areas = socket.data.live?.areas ?? []
        await this.follow(
          socket,
          gone ? areas.filter((a) => !within(a.bbox)).map((a) => a.bbox) : [],
        )
      }
      if (typeof ack === 'function')
        ack({ ok: parsed.success, rooms: this.tileRooms(socket).length })
    })
  }

  /** Why a subscribe is refused by the rate limits, or undefined. */
  private async admitSubscribe(socket: LiveSocket): Promise<string | undefined> {
    try {
      await this.subscribesPerSocket.consume(socket.id)
    } catch {
      return 'too many subscribes from this connection: slow down'
    }
    try {
      await this.subscribesPerAddress.consume(socket.data.address)
    } catch {
      return 'too many subscribes from your address: slow down'
    }
    return undefined
  }

  private async subscribe(socket: LiveSocket, args: unknown): Promise<SubscribeAck> {
    const parsed = subscribeArgs.safeParse(args)
    if (!parsed.success)
      return { ok: false, error: parsed.error.issues.map((i) => i.message).join('; ') }
    if (!socket.connected) return { ok: false, error: 'disconnected' }
    const covering = roomsCovering(parsed.data.bbox)
    if (!covering) return { ok: false, error: 'bbox too large: zoom in' }
    const areas = (socket.data.live?.areas ?? []).map((a) => a.bbox)
    try {
      // Follow before reading, so no update committed after the snapshot's read is missed.
      if (!(await this.follow(socket, withArea(areas, parsed.data.bbox))))
        return { ok: false, error: 'too many subscriptions: unsubscribe first' }
      const answer = await this.snapshots(() =>
        this.dropIfSlow(socket) ? null : this.snapshot(parsed.data.bbox),
      )
      if (!answer) return { ok: false, error: 'disconnected' }
      return { ok: true, level: covering.level, rooms: this.tileRooms(socket).length, ...answer }
    } catch (err) {
      this.log(err)
      return { ok: false, error: 'cannot read stations now; retry' }
    }
  }

  /** Drops a connection whose client has stopped reading; true when it was dropped. */
  private dropIfSlow(socket: LiveSocket): boolean {
    if (socket.connected && unreadBytes(socket) <= this.config.LIVE_MAX_BUFFERED_BYTES) return false
    socket.disconnect(true)
    return true
  }

  private dropSlowReaders() {
    for (const socket of this.nsp?.sockets.values() ?? []) this.dropIfSlow(socket)
  }

  private tileRooms(socket: LiveSocket) {
    return [...socket.rooms].filter(isTileRoom)
  }

  /**
   * Makes these the areas a connection follows, in the tile rooms that cover them (rooms only
   * find the connections a change may concern; the areas decide). False, changing nothing,
   * when they would take too many rooms.
   */
  private async follow(socket: LiveSocket, bboxes: Bbox[]): Promise<boolean> {
    const areas: Area[] = []
    const rooms = new Set<string>()
    for (const bbox of bboxes) {
      const covering = roomsCovering(bbox)
      if (!covering) return false
      areas.push({ bbox, level: covering.level })
      for (const r of covering.rooms) rooms.add(r)
    }
    if (rooms.size > MAX_ROOMS_PER_SOCKET) return false
    socket.data.live = { areas }
    await socket.join([...rooms])
    await Promise.all(this.tileRooms(socket).map((r) => (rooms.has(r) ? null : socket.leave(r))))
    return true
  }

  /** A larger area than LIVE_SNAPSHOT_MAX_STATIONS is followed without its stations (the map has them in its tiles). */
  private async snapshot(bbox: Bbox) {
    const max = this.config.LIVE_SNAPSHOT_MAX_STATIONS
    if (await moreStationsInBbox(this.knex, bbox, max)) return { complete: false, stations: [] }
    const rows: StationRow[] = await selectStationsInBbox(this.knex, bbox).limit(max)
    const rules = this.rules()
    return { complete: true, stations: rows.map((r) => toStatusEvent(toStation(r, rules))) }
  }

  /** Connections to /live on this node. */
  get connectionCount(): number {
    return this.nsp?.sockets.size ?? 0
  }

  /**
   * A station's committed status, from the change feed (or this node's own report, which the
   * feed hands on at once), coalesced per connection (fanout.ts).
   * Each node tells its own sockets: every node hears the feed.
   */
  statusChanged(station: Station) {
    this.fanout?.statusChanged(toStatusEvent(station))
  }

  /** New low-stock alerts, from the change feed: to the station's managers and the planners. */
  async alertsOpened(alerts: SupplyLowEvent[]) {
    const nsp = this.nsp
    if (!nsp) return
    for (const alert of alerts) {
      const ids = await this.lookups.managersOf(alert.station_id)
      nsp.local.to([PLANNERS_ROOM, ...ids.map(userRoom)]).emit('supply:low', alert)
    }
  }

  /** Changes this node did not hear (its change feed was down): every client reads afresh. */
  resync() {
    this.nsp?.local.emit('resync')
  }

  /** A station created, edited or retired, from the change feed; a moved one to both areas. */
  stationChanged(
    station: Station,
    change: 'created' | 'updated' | 'retired',
    before?: { lon: number; lat: number },
  ) {
    if (!this.nsp) return
    const rooms = new Set(roomsOf(station.location.lon, station.location.lat))
    if (before) for (const r of roomsOf(before.lon, before.lat)) rooms.add(r)
    this.nsp.local.to([...rooms]).emit('station:changed', {
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
