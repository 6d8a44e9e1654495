import type { Knex } from 'knex'
import { LRUCache } from 'lru-cache'
import type { Database } from '../db/knex.ts'
import {
  selectStations,
  toStation,
  type ReportedRow,
  type Station,
  type StationRow,
} from '../stations/queries.ts'
import { queryPrepared } from '../db/prepared.ts'
import { pgArray } from '../db/arrays.ts'
import type { StatusRules } from '../stations/status.ts'
import { selectAlerts, toAlertEvent, type AlertRow } from '../reports/queries.ts'
import type { LiveHub } from './hub.ts'

/** The channel the database's triggers announce changes on (the notify_live_* migrations). */
export const LIVE_CHANNEL = 'yizhan_live'

/** How soon a batch the database could not answer is read again. */
const RETRY_MS = 1_000
/** Stations whose handed-on version is remembered: minutes of reports, a few MB. */
const HANDED_STATIONS = 100_000

type Change = 'created' | 'updated' | 'retired'

/** A station as committed (its row, and as answered), and where it stood before a move. */
export interface ChangedStation {
  row: StationRow
  station: Station
  before?: { lon: number; lat: number }
}

/**
 * What else keeps a copy of station data on this node (a cache, an index) hears every batch
 * after the live clients have.
 */
export interface FeedObserver {
  changed(stations: ChangedStation[]): void
  /** A report this node wrote, handed on at once: the feed does not bring that version again. */
  ownReport(row: ReportedRow, station: Station): void | Promise<void>
  /** The feed was lost and is back: anything may have changed meanwhile. */
  resync(): void
}

/**
 * Live events from the database's commits: each node listens to the change feed and fans what
 * changed out to its own sockets, whoever made the change (this node, another, an import, a
 * script). Notifications carry ids (and a status's new version); a batch is re-read in one
 * query for its stations and one for its alerts, so a burst of reports is a few reads, and an
 * event always carries the committed state. A version already handed on (this node's own
 * report, or one a read brought early) is neither read nor sent again. A batch is what arrived
 * by the next turn of the event loop, and whatever arrives while one is being read: no time is
 * spent waiting for more, and one batch is read at a time, so events keep their order.
 */
export class ChangeFeed {
  /** Statuses to read; true when a change did not say its version, so it is new whatever it is. */
  private statuses = new Map<number, boolean>()
  /**
   * The newest version of each recently changed station this node has handed on, from the feed
   * or its own report: a version is handed on once, however often it is announced or read.
   */
  private handed = new LRUCache<number, number>({ max: HANDED_STATIONS })
  private stations = new Map<number, { change: Change; before?: { lon: number; lat: number } }[]>()
  private alerts = new Set<number>()
  /** A batch waits for the next turn of the event loop, or (after a failed read) a retry. */
  private next?: NodeJS.Immediate
  private retry?: NodeJS.Timeout
  private reading = false
  private closed = false
  private listener?: { close(): Promise<void> }
  private wasDown = false
  private observers: FeedObserver[] = []
  private failures = 0
  /** Whether the feed is listening now; false while its connection is being re-made. */
  up = false

  constructor(
    private readonly db: Database,
    private readonly hub: LiveHub,
    private readonly rules: () => StatusRules,
    private readonly log: (err: unknown, message: string) => void = () => {},
  ) {}

  observe(observer: FeedObserver) {
    this.observers.push(observer)
  }

  async start() {
    this.listener = await this.db.listen(LIVE_CHANNEL, {
      notify: (payload) => this.received(payload),
      up: () => {
        this.up = true
        // changes made while it was down were never heard: every client reads afresh
        if (this.wasDown) {
          this.hub.resync()
          for (const o of this.observers) o.resync()
        }
        this.wasDown = false
      },
      down: (err) => {
        if (this.up || !this.wasDown) this.log(err, 'live change feed lost; reconnecting')
        this.up = false
        this.wasDown = true
      },
    })
  }

  async close() {
    this.closed = true
    clearImmediate(this.next)
    clearTimeout(this.retry)
    await this.listener?.close()
  }

  /**
   * A report this node wrote: its clients and observers have it at once, not after the feed has
   * read it back, and the feed then leaves that version unread. Other nodes hear it from the feed.
   */
  async ownReport(row: ReportedRow, station: Station) {
    if (this.handedOn(row.id, row.version!)) return
    this.handed.set(row.id, row.version!)
    this.hub.statusChanged(station)
    await Promise.all(this.observers.map((o) => o.ownReport(row, station)))
  }

  private handedOn(id: number, version: number | null) {
    return version !== null && version <= (this.handed.get(id) ?? -1)
  }

  /** A status to read; once any of its changes did not say its version, it is read as new. */
  private toRead(id: number, unversioned: boolean) {
    this.statuses.set(id, unversioned || this.statuses.get(id) === true)
  }

  private received(payload: string) {
    const [kind, id, change, lon, lat] = payload.split(':')
    const n = Number(id)
    if (kind === 's') {
      if (change === undefined) this.toRead(n, true)
      else if (!this.handedOn(n, Number(change))) this.toRead(n, false)
      else return
    } else if (kind === 'a') this.alerts.add(n)
    else if (kind === 'c') {
      const before = lon === undefined ? undefined : { lon: Number(lon), lat: Number(lat) }
      // each change is announced, in order, with the station as it is now
      const changes = this.stations.get(n) ?? []
      this.stations.set(n, [...changes, { change: change as Change, before }])
    }
    this.schedule()
  }

  private schedule() {
    if (this.closed || this.reading || this.next || this.retry) return
    this.next = setImmediate(() => void this.flush())
  }

  private get pending() {
    return this.statuses.size > 0 || this.stations.size > 0 || this.alerts.size > 0
  }

  private async flush() {
    this.next = undefined
    this.retry = undefined
    this.reading = true
    const { statuses, stations, alerts } = this
    this.statuses = new Map()
    this.stations = new Map()
    this.alerts = new Set()
    const knex = this.db.knex
    // a station that changed is announced with its status: no separate status event
    for (const id of stations.keys()) statuses.delete(id)
    try {
      const rules = this.rules()
      const changed: ChangedStation[] = []
      const ids = [...statuses.keys(), ...stations.keys()]
      const rows = ids.length ? await readStations(knex, ids) : []
      for (const row of rows) {
        const changes = stations.get(row.id)
        // read for an earlier change, it may be a version handed on already
        const again = this.handedOn(row.id, row.version)
        if (!changes && again && !statuses.get(row.id)) continue
        if (!again && row.version !== null) this.handed.set(row.id, row.version)
        const station = toStation(row, rules)
        if (!changes) {
          this.hub.statusChanged(station)
          changed.push({ row, station })
          continue
        }
        for (const { change, before } of changes) {
          this.hub.stationChanged(station, change, before)
          changed.push({ row, station, before })
        }
      }
      statuses.clear()
      stations.clear()
      if (changed.length) for (const o of this.observers) o.changed(changed)
      if (alerts.size) {
        // announced even when a restock closed it since: it did open
        const rows: AlertRow[] = await selectAlerts(knex).whereIn('a.id', [...alerts])
        await this.hub.alertsOpened(rows.map(toAlertEvent))
        alerts.clear()
      }
      this.failures = 0
    } catch (err) {
      // Heard but not read (the database went away meanwhile): read them again later, with
      // whatever comes in the meantime. Nothing is lost, so no client needs to start afresh.
      if (this.failures++ === 0)
        this.log(err, 'live change feed cannot read what changed; retrying')
      for (const [id, unversioned] of statuses) this.toRead(id, unversioned)
      for (const id of alerts) this.alerts.add(id)
      for (const [id, changes] of stations)
        this.stations.set(id, [...changes, ...(this.stations.get(id) ?? [])])
      if (!this.closed) this.retry = setTimeout(() => void this.flush(), RETRY_MS)
    } finally {
      this.reading = false
      if (this.pending) this.schedule()
    }
  }
}

/** One statement whatever the batch's size, so it is prepared once per connection. */
const readStations = (knex: Knex, ids: number[]) =>
  queryPrepared<StationRow>(
    knex,
    selectStations(knex).whereRaw('s.id = ANY(?::int[])', [pgArray(ids)]),
  )
