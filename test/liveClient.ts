import { io, type Socket } from 'socket.io-client'
import type {
  Bbox,
  ClientToServerEvents,
  ServerToClientEvents,
  StationStatusEvent,
  SubscribeAck,
  SupplyLowEvent,
} from '../contract/live-events.ts'

export type LiveSocket = Socket<ServerToClientEvents, ClientToServerEvents>

/**
 * A test client that keeps a station → status map the way the web app does: newest version
 * wins, and after a reconnect that could not be recovered it subscribes again for a snapshot.
 */
export function liveClient(
  url: string,
  opts: { cookie?: string; token?: string; polling?: boolean } = {},
) {
  const socket: LiveSocket = io(`${url}/live`, {
    // long-polling behind a load balancer needs its sticky cookie: a cookie jar, as a browser has
    ...(opts.polling
      ? { transports: ['polling'], withCredentials: true }
      : { transports: ['websocket'] }),
    reconnectionDelay: 50,
    reconnectionDelayMax: 200,
    ...(opts.cookie ? { extraHeaders: { cookie: opts.cookie } } : {}),
    ...(opts.token ? { auth: { token: opts.token } } : {}),
  })
  const statuses = new Map<number, StationStatusEvent>()
  const received: StationStatusEvent[] = []
  const alerts: SupplyLowEvent[] = []
  const openAlerts: SupplyLowEvent[][] = []
  const bboxes: Bbox[] = []
  let snapshots = 0
  let recoveries = 0
  let batches = 0
  let connections = 0

  const apply = (s: StationStatusEvent) => {
    const known = statuses.get(s.id)
    if (!known || known.version <= s.version) statuses.set(s.id, s)
  }
  socket.on('station:status', (s) => {
    received.push(s)
    apply(s)
  })
  socket.on('station:statuses', (batch) => {
    batches++
    for (const s of batch) {
      received.push(s)
      apply(s)
    }
  })
  let resyncs = 0
  // the server may have missed changes: a fresh snapshot, as the web app does
  socket.on('resync', () => {
    resyncs++
    resubscribe()
  })
  socket.on('supply:low', (a) => alerts.push(a))
  socket.on('alerts:open', (a) => openAlerts.push(a))
  // A server-side disconnect is not retried by socket.io itself; the app reconnects anyway.
  socket.on('disconnect', (reason) => {
    if (reason === 'io server disconnect') socket.connect()
  })
  socket.on('connect', () => {
    // The first connection subscribes through subscribe() itself.
    if (connections++ === 0) return
    if (socket.recovered) {
      recoveries++
      return
    }
    resubscribe()
  })

  /** Every followed area again, as the app does; one refused or cut off is asked again. */
  function resubscribe() {
    for (const bbox of bboxes) follow(bbox)
  }
  const retries = new Map<Bbox, NodeJS.Timeout>()
  function follow(bbox: Bbox, attempt = 0) {
    clearTimeout(retries.get(bbox))
    // backing off, as the app does, keeps a retrying client within the subscribe limits
    const retry = () =>
      retries.set(
        bbox,
        setTimeout(
          () => socket.connected && follow(bbox, attempt + 1),
          500 * 2 ** Math.min(attempt, 4),
        ),
      )
    subscribeOnce(bbox).then((ack) => ack.ok || retry(), retry)
  }

  async function subscribeOnce(bbox: Bbox): Promise<SubscribeAck> {
    const ack = await socket.timeout(10_000).emitWithAck('subscribe', { bbox })
    if (ack.ok) {
      snapshots++
      for (const s of ack.stations) apply(s)
    }
    return ack
  }

  return {
    socket,
    statuses,
    received,
    alerts,
    openAlerts,
    snapshots: () => snapshots,
    recoveries: () => recoveries,
    batches: () => batches,
    resyncs: () => resyncs,
    connected: () =>
      new Promise<void>((resolve, reject) => {
        if (socket.connected) return resolve()
        socket.once('connect', () => resolve())
        socket.once('connect_error', reject)
      }),
    async subscribe(bbox: Bbox) {
      bboxes.push(bbox)
      return subscribeOnce(bbox)
    },
    close: () => socket.close(),
  }
}
