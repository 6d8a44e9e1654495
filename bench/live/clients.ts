/**
 * Child process of the live benchmark: many socket.io-client connections (or bare ws ones for
 * the baseline) that record what they receive. Driven over IPC by bench/live/run.ts.
 */
import { io, type Socket } from 'socket.io-client'
import WebSocket from 'ws'
import type {
  Bbox,
  ClientToServerEvents,
  ServerToClientEvents,
  StationStatusEvent,
} from '../../contract/live-events.ts'

export type ClientsCommand =
  | { type: 'connect'; mode: 'live'; url: string; bboxes: Bbox[]; cookie?: string }
  | { type: 'connect'; mode: 'ws' | 'socketio-bare'; url: string; count: number }
  | { type: 'reset' }
  | {
      type: 'collect'
      reports: [id: number, version: number, lon: number, lat: number][]
      truth?: [id: number, version: number][]
    }
  | { type: 'close' }

export type ClientsReply =
  | { type: 'connected'; clients: number; failed: number; snapshotStations: number }
  | {
      type: 'result'
      latenciesMs: number[]
      delivered: number
      expected: number
      converged: number
      clients: number
      messages: number
      cpuMs: number
      firstAt: number
      lastAt: number
    }

interface Client {
  bbox?: Bbox
  /** Highest version seen per station inside the bbox. */
  versions: Map<number, number>
  close(): void
}

const inBbox = (b: Bbox, lon: number, lat: number) =>
  lon >= b[0] && lon <= b[2] && lat >= b[1] && lat <= b[3]

let clients: Client[] = []
let latencies: number[] = []
let messages = 0
let firstAt = 0
let lastAt = 0

function record(c: Client, s: StationStatusEvent, now: number) {
  if (!c.bbox || !inBbox(c.bbox, s.location.lon, s.location.lat)) return
  if ((c.versions.get(s.id) ?? -1) < s.version) c.versions.set(s.id, s.version)
  if (s.reported_at) latencies.push(now - Date.parse(s.reported_at))
}

function countMessage() {
  const now = Date.now()
  messages++
  firstAt ||= now
  lastAt = now
  return now
}

async function connectLive(
  url: string,
  bbox: Bbox,
  cookie?: string,
): Promise<{ client: Client; stations: number }> {
  const socket: Socket<ServerToClientEvents, ClientToServerEvents> = io(`${url}/live`, {
    transports: ['websocket'],
    reconnection: true,
    ...(cookie ? { extraHeaders: { cookie } } : {}),
  })
  const client: Client = { bbox, versions: new Map(), close: () => socket.close() }
  socket.on('station:status', (s) => record(client, s, countMessage()))
  socket.on('station:statuses', (batch) => {
    const now = countMessage()
    for (const s of batch) record(client, s, now)
  })
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve())
    socket.once('connect_error', reject)
  })
  const ack = await socket.timeout(60_000).emitWithAck('subscribe', { bbox })
  if (!ack.ok) throw new Error(ack.error)
  for (const s of ack.stations) {
    if (inBbox(bbox, s.location.lon, s.location.lat)) client.versions.set(s.id, s.version)
  }
  return { client, stations: ack.stations.length }
}

async function connectBare(mode: 'ws' | 'socketio-bare', url: string): Promise<Client> {
  if (mode === 'ws') {
    const ws = new WebSocket(url)
    ws.on('message', () => countMessage())
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve())
      ws.once('error', reject)
    })
    return { versions: new Map(), close: () => ws.close() }
  }
  const socket = io(url, { transports: ['websocket'] })
  socket.on('m', () => countMessage())
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve())
    socket.once('connect_error', reject)
  })
  return { versions: new Map(), close: () => socket.close() }
}

const send = (reply: ClientsReply) => process.send!(reply)

/** Connects in small waves so the server is not hit by thousands of handshakes at once. */
async function inWaves<T>(count: number, make: (i: number) => Promise<T>, wave = 100) {
  const out: PromiseSettledResult<T>[] = []
  for (let i = 0; i < count; i += wave) {
    out.push(
      ...(await Promise.allSettled(
        Array.from({ length: Math.min(wave, count - i) }, (_, j) => make(i + j)),
      )),
    )
  }
  return out
}

process.on('message', async (cmd: ClientsCommand) => {
  if (cmd.type === 'connect') {
    let snapshotStations = 0
    const results =
      cmd.mode === 'live'
        ? await inWaves(
            cmd.bboxes.length,
            async (i) => {
              const r = await connectLive(cmd.url, cmd.bboxes[i]!, cmd.cookie)
              snapshotStations += r.stations
              return r.client
            },
            50,
          )
        : await inWaves(cmd.count, () => connectBare(cmd.mode as 'ws' | 'socketio-bare', cmd.url))
    clients = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []))
    send({
      type: 'connected',
      clients: clients.length,
      failed: results.length - clients.length,
      snapshotStations,
    })
  } else if (cmd.type === 'reset') {
    latencies = []
    messages = 0
    firstAt = 0
    lastAt = 0
  } else if (cmd.type === 'collect') {
    let delivered = 0
    let expected = 0
    for (const c of clients) {
      if (!c.bbox) continue
      for (const [id, version, lon, lat] of cmd.reports) {
        if (!inBbox(c.bbox, lon, lat)) continue
        expected++
        // A later version of the station counts: a batched view may skip superseded ones.
        if ((c.versions.get(id) ?? -1) >= version) delivered++
      }
    }
    let converged = 0
    if (cmd.truth) {
      for (const c of clients) {
        if (
          cmd.truth.every(([id, version]) => !c.versions.has(id) || c.versions.get(id) === version)
        )
          converged++
      }
    }
    const cpu = process.cpuUsage()
    send({
      type: 'result',
      latenciesMs: latencies,
      delivered,
      expected,
      converged,
      clients: clients.length,
      messages,
      cpuMs: (cpu.user + cpu.system) / 1000,
      firstAt,
      lastAt,
    })
  } else if (cmd.type === 'close') {
    for (const c of clients) c.close()
    process.exit(0)
  }
})
