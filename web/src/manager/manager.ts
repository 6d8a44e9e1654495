import {
  getAlerts,
  getBusyHours,
  getMe,
  getReports,
  getStation,
  type Me,
  type Station,
  type SupplyLowEvent,
} from '../shared/api.ts'
import { button, el } from '../shared/dom.ts'
import { onLangChange, t, timeAgo } from '../shared/i18n.ts'
import { LiveClient, type Bbox, type StationStatusEvent } from '../shared/live.ts'
import { livePill } from '../shared/livePill.ts'
import { availabilityLine, withLatest } from '../shared/status.ts'
import { busyHoursChart, historyChart, historyList } from './charts.ts'
import { endSession, SignInForm } from '../shared/signin.ts'
import { ReportForm } from './report.ts'

/** Weeks the busy-hours chart averages over, and reports the history shows. */
const BUSY_WEEKS = 8
const HISTORY_CHART = 48
const HISTORY_ROWS = 8
/** A live area this far around each station: one map tile room, usually. */
const AROUND = 0.0005

export function startManager(main: HTMLElement): void {
  new Manager(main)
}

type Phase =
  { kind: 'loading' } | { kind: 'failed' } | { kind: 'signed-out' } | { kind: 'in'; me: Me }

class Manager {
  private readonly root = el('div', 'manager')
  private phase: Phase = { kind: 'loading' }
  private stations = new Map<number, Station>()
  private selected: number | null = null
  private alerts = new Map<number, SupplyLowEvent>()
  private live: LiveClient | null = null
  private readonly pill = livePill()
  private readonly form = new ReportForm({
    saved: (station) => this.saved(station),
    expired: () => this.signedOut(),
  })
  private readonly stationTabs = el('div', 'station-tabs')
  private readonly alertsBox = el('div', 'alerts-box')
  private readonly busyBox = el('div', 'chart-box')
  private readonly historyBox = el('div', 'chart-box')
  private readonly signInForm = new SignInForm(
    (me) => void this.signedIn(me),
    () => ({ title: t().signInTitle, intro: t().signInIntro }),
  )
  private listOpen = false
  private chartsRound = 0

  constructor(main: HTMLElement) {
    main.append(this.root)
    onLangChange(() => this.render())
    void this.load()
    // alert times say "5 minutes ago": keep them true
    setInterval(() => {
      if (this.phase.kind === 'in') this.renderAlerts()
    }, 60_000)
  }

  private async load(): Promise<void> {
    this.phase = { kind: 'loading' }
    this.render()
    try {
      const me = await getMe()
      if (me) await this.signedIn(me)
      else this.signedOut()
    } catch (err) {
      console.warn(`cannot reach the server: ${String(err)}`)
      this.phase = { kind: 'failed' }
      this.render()
    }
  }

  private async signedIn(me: Me): Promise<void> {
    this.phase = { kind: 'in', me }
    const wanted = new URLSearchParams(location.search).get('station')
    const stations = await Promise.all(me.station_ids.map((id) => getStation(id)))
    this.stations = new Map(stations.map((s) => [s.id, s]))
    this.selected = this.stations.has(Number(wanted)) ? Number(wanted) : (stations[0]?.id ?? null)
    this.render()
    // connected only now, so the handshake carries the session cookie
    this.live?.close()
    this.live = new LiveClient({
      status: (s) => this.applyStatus(s),
      openAlerts: (alerts) => this.addAlerts(alerts),
      supplyLow: (alert) => this.addAlerts([alert]),
      state: (state) => this.pill.set(state),
    })
    this.live.watch(
      stations.map(({ location: { lon, lat } }): Bbox => [
        lon - AROUND,
        lat - AROUND,
        lon + AROUND,
        lat + AROUND,
      ]),
    )
    getAlerts().then(
      (alerts) => this.addAlerts(alerts),
      (err: unknown) => console.warn(`alerts unavailable: ${String(err)}`),
    )
  }

  private signedOut(): void {
    this.live?.close()
    this.live = null
    this.stations.clear()
    this.alerts.clear()
    this.selected = null
    this.phase = { kind: 'signed-out' }
    this.render()
  }

  private render(): void {
    const phase = this.phase
    this.root.dataset.phase = phase.kind
    if (phase.kind === 'loading') return this.root.replaceChildren(el('p', 'muted', t().loading))
    if (phase.kind === 'failed')
      return this.root.replaceChildren(
        el('p', 'notice notice-error', t().serverUnreachable),
        button('secondary-button', t().retry, () => void this.load()),
      )
    if (phase.kind === 'signed-out') return this.renderSignIn()

    const me = phase.me
    const bar = el(
      'div',
      'manager-bar',
      el('span', 'manager-user', `${me.username} · ${t().roles[me.role]}`),
      this.pill.element,
      button('secondary-button sign-out', t().signOut, () => void this.signOut()),
    )
    const main = el('div', 'manager-main')
    const side = el('div', 'manager-side')
    main.append(el('section', 'my-stations', el('h2', '', t().myStations), this.stationTabs))
    if (this.selected !== null) {
      main.append(this.form.element)
      side.append(
        el(
          'section',
          'busy',
          el('h2', '', t().busyTitle),
          el('p', 'muted', t().busyIntro(BUSY_WEEKS)),
          this.busyBox,
        ),
        el('section', 'history', el('h2', '', t().historyTitle), this.historyBox),
      )
    }
    side.prepend(el('section', 'alerts', el('h2', '', t().alertsTitle), this.alertsBox))
    this.root.replaceChildren(bar, el('div', 'manager-grid', main, side))
    this.renderTabs()
    this.renderAlerts()
    const station = this.current()
    if (station) {
      this.form.show(station)
      void this.loadCharts(station)
    }
  }

  private renderSignIn(): void {
    this.signInForm.render()
    this.root.replaceChildren(this.signInForm.element)
  }

  private async signOut(): Promise<void> {
    await endSession()
    this.signedOut()
  }

  private current(): Station | null {
    return this.selected === null ? null : (this.stations.get(this.selected) ?? null)
  }

  private select(id: number): void {
    if (id === this.selected) return
    this.selected = id
    const url = new URL(location.href)
    url.searchParams.set('station', String(id))
    history.replaceState(null, '', url)
    this.renderTabs()
    const station = this.current()!
    this.form.show(station)
    void this.loadCharts(station)
  }

  private renderTabs(): void {
    const stations = [...this.stations.values()]
    if (!stations.length) return this.stationTabs.replaceChildren(el('p', 'muted', t().noStations))
    // only the station being reported on, until asked for the others: the form comes first
    const shown = this.listOpen ? stations : stations.filter((s) => s.id === this.selected)
    this.stationTabs.replaceChildren(
      ...shown.map((s) => {
        const tab = button('station-tab', '', () => {
          this.listOpen = false
          this.select(s.id)
          this.renderTabs()
        })
        tab.append(el('span', 'station-tab-name', s.name), availabilityLine(s.status))
        tab.setAttribute('aria-pressed', String(s.id === this.selected))
        tab.dataset.stationId = String(s.id)
        return tab
      }),
    )
    const links = el('div', 'station-links')
    if (stations.length > 1) {
      const toggle = button('secondary-button', '', () => {
        this.listOpen = !this.listOpen
        this.renderTabs()
      })
      toggle.textContent = this.listOpen ? t().hideStations : t().switchStation(stations.length)
      toggle.setAttribute('aria-expanded', String(this.listOpen))
      toggle.classList.add('station-switch')
      links.append(toggle)
    }
    const station = this.current()
    if (station) {
      const link = el('a', 'view-on-map', t().viewOnMap)
      link.href = `/?station=${station.id}`
      links.append(link)
    }
    this.stationTabs.append(links)
  }

  /**
   * The list, the connect-time push and each new alert arrive in any order: they add up, and an
   * alert goes away only when its supply is reported back up (resolveAlerts).
   */
  private addAlerts(alerts: SupplyLowEvent[]): void {
    for (const a of alerts) this.alerts.set(a.alert_id, a)
    this.renderAlerts()
  }

  private renderAlerts(): void {
    const alerts = [...this.alerts.values()].sort((a, b) => b.opened_at.localeCompare(a.opened_at))
    if (!alerts.length) return this.alertsBox.replaceChildren(el('p', 'muted', t().noAlerts))
    this.alertsBox.replaceChildren(
      el(
        'ul',
        'alert-list',
        ...alerts.map((a) => {
          const mine = this.stations.has(a.station_id)
          const what = t().alertLine(t().supplies[a.item], a.level, a.threshold)
          const body = [
            el('span', 'alert-station', a.station_name),
            el('span', 'alert-what', what),
            el('span', 'alert-when muted', timeAgo(a.opened_at)),
          ]
          const row = mine
            ? button('alert-row', '', () => {
                this.select(a.station_id)
                this.form.element.scrollIntoView({ block: 'start' })
              })
            : el('div', 'alert-row')
          row.append(...body)
          const item = el('li', '', row)
          item.dataset.stationId = String(a.station_id)
          item.dataset.supply = a.item
          return item
        }),
      ),
    )
  }

  private async loadCharts(station: Station): Promise<void> {
    const round = ++this.chartsRound
    try {
      const [hours, reports] = await Promise.all([
        getBusyHours(station.id, BUSY_WEEKS),
        getReports(station.id, HISTORY_CHART),
      ])
      if (round !== this.chartsRound) return
      this.busyBox.replaceChildren(busyHoursChart(hours, station.capacity))
      const chart = historyChart(reports, station.capacity)
      this.historyBox.replaceChildren(
        ...(chart ? [chart] : []),
        historyList(reports.slice(0, HISTORY_ROWS)),
      )
    } catch (err) {
      if (round !== this.chartsRound) return
      console.warn(`history unavailable: ${String(err)}`)
      this.busyBox.replaceChildren(el('p', 'notice notice-error', t().detailsFailed))
      this.historyBox.replaceChildren()
    }
  }

  private saved(station: Station): void {
    this.stations.set(station.id, station)
    this.resolveAlerts(station)
    this.renderTabs()
    if (station.id === this.selected) void this.loadCharts(station)
  }

  /** Another report for one of these stations (someone else's, or ours echoed back). */
  private applyStatus(status: StationStatusEvent): void {
    const known = this.stations.get(status.id)
    if (!known) return
    const station = withLatest(known, status)
    if (station === known) return
    this.stations.set(station.id, station)
    this.resolveAlerts(station)
    this.renderTabs()
    this.form.update(station)
    if (station.id === this.selected) void this.loadCharts(station)
  }

  /** A supply reported back above its threshold closes its alert (the server has done so). */
  private resolveAlerts(station: Station): void {
    let changed = false
    for (const [id, alert] of this.alerts) {
      const supply = station.status.supplies[alert.item]
      if (alert.station_id === station.id && supply && !supply.low) {
        this.alerts.delete(id)
        changed = true
      }
    }
    if (changed) this.renderAlerts()
  }
}
