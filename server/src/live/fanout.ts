import type { Namespace, Socket } from 'socket.io'
import * as ws from 'ws'
import type { Bbox, StationStatusEvent } from '../../../contract/live-events.ts'
import { ROOM_LEVELS, isTileRoom, roomAt, type RoomLevel } from './tiles.ts'

/** An area a connection follows, with the level of the tile rooms that index it. */
export interface Area {
  bbox: Bbox
  level: RoomLevel
}

/** What the fan-out keeps on each connection (socket.data.live; a recovered one gets it back). */
export interface Following {
  areas: Area[]
}

/** Areas one connection may follow apart; one more and they merge into the box around them all. */
export const MAX_AREAS = 32

const inside = (b: Bbox, lon: number, lat: number) =>
  lon >= b[0] && lon <= b[2] && lat >= b[1] && lat <= b[3]

/** The areas after following `bbox` too: past MAX_AREAS, one box around all of them. */
export function withArea(areas: readonly Bbox[], bbox: Bbox): Bbox[] {
  if (areas.some((a) => a.every((v, i) => v === bbox[i]))) return [...areas]
  const all = [...areas, bbox]
  if (all.length <= MAX_AREAS) return all
  return [
    [
      Math.min(...all.map((a) => a[0])),
      Math.min(...all.map((a) => a[1])),
      Math.max(...all.map((a) => a[2])),
      Math.max(...all.map((a) => a[3])),
    ],
  ]
}

// Not in ws's typings: socket.io's adapter frames its broadcasts with it too.
const { Sender } = ws as unknown as {
  Sender: { frame(data: Buffer, options: Record<string, boolean | number>): Buffer[] }
}

/**
 * The WebSocket frame of an engine.io message, made once for every connection that gets it, as
 * socket.io's own broadcasts do: engine.io writes these bytes to each WebSocket instead of
 * encoding the message again per connection (a long-polling one still encodes it).
 */
function sharedFrame(frame: string) {
  const wsPreEncodedFrame = Sender.frame(Buffer.from(`4${frame}`), {
    fin: true,
    mask: false,
    opcode: 1,
    readOnly: false,
    rsv1: false,
  })
  return { wsPreEncodedFrame } as Parameters<Socket['conn']['write']>[1]
}

/** Phones (every area on the finest rooms) get the short window; anything larger the long one. */
const isFine = (f: Following) => f.areas.every((a) => a.level === ROOM_LEVELS[0])

type Cadence = 'fine' | 'coarse'
/** Rooms nobody joins: the replay log's packets are addressed to them (see Fanout). */
const REPLAY = 'replay:'
const STATUSES = 'station:statuses'

interface Pending {
  statuses: Map<number, StationStatusEvent>
  timer?: NodeJS.Timeout
}

/**
 * Per-connection coalescing of station statuses. Changes wait for a window: LIVE_FINE_BATCH_MS
 * for phones, LIVE_BATCH_MS for larger views. At the end of a window each connection gets at
 * most one message with the newest status of every changed station inside its areas (the
 * tile rooms only find candidate connections; the areas decide). Connections that get the same
 * stations share one encoded frame: one `station:status` for a single station, else
 * `station:statuses`.
 *
 * Connection state recovery: socket.io keeps every broadcast for the recovery window with the
 * set of its recipients, which for per-connection messages would grow with clients × windows.
 * The frames go to the connections directly instead, and each window is kept once, as a packet
 * to rooms nobody joins (`replay:` + its stations' rooms); a disconnecting session is given
 * those rooms too, so a recovered one is replayed the windows it missed, which `replay` then
 * folds into one message for its areas. Each frame carries the offset of its window, as a
 * broadcast does.
 */
export class Fanout {
  private readonly pending: Record<Cadence, Pending> = {
    fine: { statuses: new Map() },
    coarse: { statuses: new Map() },
  }
  /** The offset of the newest window kept for recovery. */
  private offset?: string
  private readonly prefix: string

  constructor(
    private readonly nsp: Namespace,
    private readonly windows: Record<Cadence, number>,
    /** Keep windows for connection state recovery (on, and no cluster adapter). */
    private readonly keepForRecovery: boolean,
  ) {
    this.prefix = `2${nsp.name === '/' ? '' : `${nsp.name},`}`
    if (keepForRecovery) this.replayOnRecovery()
  }

  /** A committed status: from the change feed, or this node's own report (ChangeFeed.ownReport). */
  statusChanged(event: StationStatusEvent) {
    for (const cadence of ['fine', 'coarse'] as const) {
      const p = this.pending[cadence]
      const known = p.statuses.get(event.id)
      if (!known || known.version < event.version) p.statuses.set(event.id, event)
      p.timer ??= setTimeout(() => this.flush(cadence), this.windows[cadence])
    }
  }

  close() {
    for (const p of Object.values(this.pending)) clearTimeout(p.timer)
  }

  private flush(cadence: Cadence) {
    const p = this.pending[cadence]
    p.timer = undefined
    const statuses = [...p.statuses.values()]
    p.statuses = new Map()
    // Every change passes the fine window first: that is the log kept for recovery.
    if (cadence === 'fine' && this.keepForRecovery) this.keep(statuses)
    const levels = cadence === 'fine' ? ROOM_LEVELS.slice(0, 1) : ROOM_LEVELS
    const rooms = this.nsp.adapter.rooms
    const sockets = this.nsp.sockets
    const wanted = new Map<Socket, StationStatusEvent[]>()
    for (const s of statuses) {
      const { lon, lat } = s.location
      for (const level of levels) {
        for (const id of rooms.get(roomAt(level, lon, lat)) ?? []) {
          const socket = sockets.get(id)
          const following = socket?.data.live as Following | undefined
          if (!socket || !following || isFine(following) !== (cadence === 'fine')) continue
          if (!following.areas.some((a) => inside(a.bbox, lon, lat))) continue
          const list = wanted.get(socket)
          // A connection in the station's rooms at several levels takes it once.
          if (!list) wanted.set(socket, [s])
          else if (list.at(-1) !== s) list.push(s)
        }
      }
    }
    const groups = new Map<string, { statuses: StationStatusEvent[]; sockets: Socket[] }>()
    for (const [socket, list] of wanted) {
      const key = list.map((s) => s.id).join(',')
      const group = groups.get(key)
      if (group) group.sockets.push(socket)
      else groups.set(key, { statuses: list, sockets: [socket] })
    }
    for (const { statuses: list, sockets: group } of groups.values()) {
      const data: unknown[] = list.length === 1 ? ['station:status', list[0]] : [STATUSES, list]
      if (this.offset) data.push(this.offset)
      const frame = this.prefix + JSON.stringify(data)
      const options = group.length > 1 ? sharedFrame(frame) : undefined
      for (const socket of group) if (socket.connected) socket.conn.write(frame, options)
    }
  }

  /** One packet per window, to rooms nobody is in: socket.io stores it and gives it an offset. */
  private keep(statuses: StationStatusEvent[]) {
    if (!statuses.length) return
    const rooms = new Set<string>()
    for (const { location } of statuses)
      for (const level of ROOM_LEVELS) rooms.add(REPLAY + roomAt(level, location.lon, location.lat))
    const packet = { type: 2, data: [STATUSES, statuses] as unknown[] }
    this.nsp.adapter.broadcast(packet as never, {
      rooms,
      except: new Set(),
      flags: { local: true },
    })
    const offset = packet.data.at(-1)
    if (typeof offset === 'string') this.offset = offset
  }

  private replayOnRecovery() {
    const adapter = this.nsp.adapter
    const persist = adapter.persistSession.bind(adapter)
    adapter.persistSession = (session) => {
      const tiles = session.rooms.filter(isTileRoom)
      return persist({ ...session, rooms: [...session.rooms, ...tiles.map((r) => REPLAY + r)] })
    }
    const restore = adapter.restoreSession.bind(adapter)
    adapter.restoreSession = async (pid, offset) => {
      const session = await restore(pid, offset)
      if (!session) return session
      const following = (session.data as { live?: Following } | undefined)?.live
      const latest = new Map<number, StationStatusEvent>()
      let last: string | undefined
      const missedPackets = session.missedPackets.filter((p: unknown[]) => {
        if (p[0] !== STATUSES || p.length !== 3) return true
        last = p[2] as string
        for (const s of p[1] as StationStatusEvent[]) {
          const { lon, lat } = s.location
          if (!following?.areas.some((a) => inside(a.bbox, lon, lat))) continue
          const known = latest.get(s.id)
          if (!known || known.version < s.version) latest.set(s.id, s)
        }
        return false
      })
      // The missed windows as one message for the areas, carrying the newest window's offset.
      if (last) missedPackets.push([STATUSES, [...latest.values()], last])
      return {
        ...session,
        rooms: session.rooms.filter((r) => !r.startsWith(REPLAY)),
        missedPackets,
      }
    }
  }
}
