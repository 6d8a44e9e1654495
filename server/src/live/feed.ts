import type { Knex } from 'knex'
import type { Database } from '../db/knex.ts'
import { selectStations, toStation, type Station, type StationRow } from '../stations/queries.ts'
import type { StatusRules } from '../stations/status.ts'
import { selectAlerts, toAlertEvent, type AlertRow } from '../reports/queries.ts'
import type { LiveHub } from './hub.ts'

/** The channel the database's triggers announce changes on (see the notify_live_changes migration). */
export const LIVE_CHANNEL = 'yizhan_live'

/** How long notifications gather before one batch of reads answers them all. */
const BATCH_MS = 5
/** How soon a batch the database could not answer is read again. */
const RETRY_MS = 1_000

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
  /** The feed was lost and is back: anything may have changed meanwhile. */
  resync(): void
}

/**
 * Live events from the database's commits: each node listens to the change feed and fans what
 * changed out to its own sockets, whoever made the change (this node, another, an import, a
 * script). Notifications carry ids; a batch is re-read in one query per kind, so a burst of
 * reports is a few reads, and an event always carries the committed state.
 */
export class ChangeFeed {
  private statuses = new Set<number>()
  private stations = new Map<number, { change: Change; before?: { lon: number; lat: number } }[]>()
  private alerts = new Set<number>()
  private timer?: NodeJS.Timeout
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
    clearTimeout(this.timer)
    await this.listener?.close()
  }

  private received(payload: string) {
    const [kind, id, change, lon, lat] = payload.split(':')
    const n = Number(id)
    if (kind === 's') this.statuses.add(n)
    else if (kind === 'a') this.alerts.add(n)
    else if (kind === 'c') {
      const before = lon === undefined ? undefined : { lon: Number(lon), lat: Number(lat) }
      // each change is announced, in order, with the station as it is now
      const changes = this.stations.get(n) ?? []
      this.stations.set(n, [...changes, { change: change as Change, before }])
    }
    this.timer ??= setTimeout(() => void this.flush(), BATCH_MS)
  }

  private async flush() {
    this.timer = undefined
    const { statuses, stations, alerts } = this
    this.statuses = new Set()
    this.stations = new Map()
    this.alerts = new Set()
    const knex = this.db.knex
    // a station that changed is announced with its status: no separate status event
    for (const id of stations.keys()) statuses.delete(id)
    try {
      const rules = this.rules()
      const changed: ChangedStation[] = []
      if (statuses.size) {
        const rows = await readStations(knex, [...statuses])
        for (const row of rows) {
          const station = toStation(row, rules)
          this.hub.statusChanged(station)
          changed.push({ row, station })
        }
        statuses.clear()
      }
      if (stations.size) {
        const rows = await readStations(knex, [...stations.keys()])
        for (const row of rows) {
          const station = toStation(row, rules)
          for (const { change, before } of stations.get(row.id)!) {
            this.hub.stationChanged(station, change, before)
            changed.push({ row, station, before })
          }
        }
        stations.clear()
      }
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
      for (const id of statuses) this.statuses.add(id)
      for (const id of alerts) this.alerts.add(id)
      for (const [id, changes] of stations)
        this.stations.set(id, [...changes, ...(this.stations.get(id) ?? [])])
      clearTimeout(this.timer)
      this.timer = setTimeout(() => void this.flush(), RETRY_MS)
    }
  }
}

const readStations = (knex: Knex, ids: number[]): Promise<StationRow[]> =>
  selectStations(knex).whereIn('s.id', ids)
