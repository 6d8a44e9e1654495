import 'maplibre-gl/dist/maplibre-gl.css'
import { Popup } from 'maplibre-gl'
import {
  getGaps,
  getMe,
  getMeta,
  getStationRequests,
  ProblemError,
  type Bounds,
  type CoverageParams,
  type GapCellProperties,
  type GapsResponse,
  type Me,
  type Meta,
} from '../shared/api.ts'
import { button, el } from '../shared/dom.ts'
import { onLangChange, t } from '../shared/i18n.ts'
import { StationMap, type LngLat } from '../shared/map.ts'
import { makeSheet, type Sheet } from '../shared/sheet.ts'
import { placeSearch, showPlace, viewArea } from '../shared/placeSearch.ts'
import { Cities } from './cities.ts'
import { Controls } from './controls.ts'
import { Exports } from './export.ts'
import { count, percent, placeName, problemText, suggestedCell, workers } from './format.ts'
import { PlannerLayers } from './layers.ts'
import {
  coverageParams,
  invalidFields,
  paramsFromSearch,
  paramsSlug,
  paramsToSearch,
  roundBounds,
  type PlannerParams,
} from './params.ts'
import { Suggestions } from './suggestions.ts'
import { endSession, SignInForm } from '../shared/signin.ts'
import { WhatIf } from './whatif.ts'

/** Typing "1000" into a field passes through "1", "10" and "100": only the last is analysed. */
const ANALYSE_DEBOUNCE_MS = 500

export async function startPlanner(main: HTMLElement): Promise<void> {
  // the map waits for meta (at most a few seconds) so that it starts with the right basemap
  const meta = await getMeta()
  new Planner(main, meta)
}

type Phase =
  | { kind: 'loading' | 'failed' | 'signed-out' }
  | { kind: 'forbidden'; me: Me }
  | { kind: 'in'; me: Me }

/** Who may use the planner: a planner or an admin; anyone else is asked to switch accounts. */
class Planner {
  private readonly root = el('div', 'planner')
  private phase: Phase = { kind: 'loading' }
  private readonly form = new SignInForm(
    (me) => this.signedIn(me),
    () => ({ title: t().planner.signInTitle, intro: t().planner.signInIntro }),
  )
  private workspace: Workspace | null = null

  constructor(
    main: HTMLElement,
    private readonly meta: Meta | null,
  ) {
    main.append(this.root)
    onLangChange(() => this.render())
    void this.load()
  }

  private async load(): Promise<void> {
    this.setPhase({ kind: 'loading' })
    try {
      const me = await getMe()
      if (me) this.signedIn(me)
      else this.signedOut()
    } catch (err) {
      console.warn(`cannot reach the server: ${String(err)}`)
      this.setPhase({ kind: 'failed' })
    }
  }

  private signedIn(me: Me): void {
    if (me.role !== 'planner' && me.role !== 'admin')
      return this.setPhase({ kind: 'forbidden', me })
    this.setPhase({ kind: 'in', me })
    this.workspace = new Workspace(this.root, this.meta, me, {
      signOut: () => void this.signOut(),
      expired: () => this.signedOut(t().sessionExpired),
    })
  }

  private signedOut(notice: string | null = null): void {
    this.setPhase({ kind: 'signed-out' })
    this.form.show(notice)
  }

  private async signOut(): Promise<void> {
    await endSession()
    this.signedOut()
  }

  private setPhase(phase: Phase): void {
    if (phase.kind !== 'in') {
      this.workspace?.close()
      this.workspace = null
    }
    this.phase = phase
    this.render()
  }

  /** Everything but the workspace, which renders itself. */
  private render(): void {
    const phase = this.phase
    this.root.dataset.phase = phase.kind
    if (phase.kind === 'in') return
    const card = el('div', 'planner-gate-card')
    if (phase.kind === 'loading') card.append(el('p', 'muted', t().loading))
    if (phase.kind === 'failed')
      card.append(
        el('p', 'notice notice-error', t().serverUnreachable),
        button('secondary-button', t().retry, () => void this.load()),
      )
    if (phase.kind === 'signed-out') {
      this.form.render()
      card.append(this.form.element)
    }
    if (phase.kind === 'forbidden') {
      const message = el(
        'p',
        'notice notice-error needs-planner',
        t().planner.needsPlanner(phase.me.username, t().roles[phase.me.role]),
      )
      message.setAttribute('role', 'alert')
      card.append(
        el('h2', '', t().planner.needsPlannerTitle),
        message,
        button('primary-button', t().planner.signInOther, () => void this.signOut()),
      )
    }
    this.root.replaceChildren(el('div', 'planner-gate', card))
  }
}

interface WorkspaceHandlers {
  signOut(): void
  /** The session ended while working. */
  expired(): void
}

type GapsState =
  | { kind: 'idle' }
  | { kind: 'loading' }
  | { kind: 'invalid' }
  | { kind: 'failed'; message: string; cell: number | null }
  | { kind: 'done'; result: GapsResponse }

/** The signed-in planner's page: the panel of settings and results beside (or under) the map. */
class Workspace {
  private readonly element = el('div', 'planner-layout')
  private readonly map: StationMap
  private readonly layers: PlannerLayers
  private readonly sheet: Sheet
  private readonly summary = el('section', 'planner-section summary')
  private readonly exports = new Exports()
  private readonly userBar = el('div', 'planner-user')
  private readonly busy = el('p', 'map-busy')
  private readonly controls: Controls
  private readonly suggestions: Suggestions
  private readonly whatIf: WhatIf
  private readonly cities: Cities
  private params: PlannerParams = paramsFromSearch(location.search)
  private gaps: GapsState = { kind: 'idle' }
  private round = 0
  private timer: ReturnType<typeof setTimeout> | undefined
  private showRequests = false
  private requestsRound = 0
  private popup: Popup | null = null
  private closed = false
  private readonly onKey = (e: KeyboardEvent) => {
    if (e.key === 'Escape' && this.whatIf.picking) this.whatIf.setPicking(false)
  }

  constructor(
    parent: HTMLElement,
    meta: Meta | null,
    private readonly me: Me,
    private readonly handlers: WorkspaceHandlers,
  ) {
    const mapContainer = el('div', '')
    mapContainer.id = 'map'
    this.busy.setAttribute('role', 'status')
    this.busy.hidden = true
    const overlays = el('div', 'map-overlays', this.busy)
    const mapArea = el('div', 'map-area', mapContainer, overlays)
    const view = el('div', 'panel-view')
    const panel = el('aside', 'panel', view)
    this.element.append(panel, mapArea)
    // the map measures its container: it must be in the page first
    parent.replaceChildren(this.element)
    this.sheet = makeSheet(panel)

    this.map = new StationMap(
      mapContainer,
      meta,
      {
        station: () => {},
        place: (at) => this.click(at),
        view: () => {},
      },
      this.params.bbox,
    )
    // every click is a place: a cell to describe, or a hypothetical station
    this.map.pickPlaces = true
    this.map.padding = () => ({ bottom: this.sheet.covered() })
    this.layers = new PlannerLayers(this.map.map, mapContainer)
    this.layers.setArea(this.params.bbox)
    overlays.append(this.layers.legend)
    const search = placeSearch({
      onPick: (place) => showPlace(this.map, place),
      area: () => viewArea(this.map),
    })
    overlays.prepend(search.element)

    const analysable = () => (invalidFields(this.params).length ? null : this.coverage())
    const unauthorised = (err: unknown) => this.unauthorised(err)
    this.controls = new Controls(() => this.params, {
      change: (next) => this.change(next),
      analyseView: () => this.analyseView(),
      requests: (show) => this.toggleRequests(show),
    })
    this.suggestions = new Suggestions(this.map.map, {
      params: analysable,
      unauthorised,
      changed: () => this.renderExports(),
      reveal: () => this.sheet.reveal(),
    })
    this.whatIf = new WhatIf(this.map.map, {
      params: analysable,
      unauthorised,
      picking: (on) => {
        mapArea.classList.toggle('picking', on)
        this.popup?.remove()
      },
    })
    this.cities = new Cities({ params: analysable, unauthorised })
    view.append(
      this.summary,
      this.controls.element,
      this.suggestions.element,
      this.whatIf.element,
      this.exports.element,
      this.cities.element,
      this.userBar,
    )
    document.addEventListener('keydown', this.onKey)
    onLangChange(() => {
      if (this.closed) return
      this.renderUser()
      this.renderSummary()
    })
    this.writeAddress()
    void this.analyse()
  }

  close(): void {
    this.closed = true
    clearTimeout(this.timer)
    document.removeEventListener('keydown', this.onKey)
    this.map.map.remove()
  }

  private coverage(): CoverageParams {
    return coverageParams(this.params)
  }

  private change(next: Partial<PlannerParams>): void {
    const before = this.params
    this.params = { ...before, ...next }
    this.writeAddress()
    const onlyInclude = (Object.keys(next) as (keyof PlannerParams)[]).every(
      (key) => key === 'include' || next[key] === before[key],
    )
    if (onlyInclude && next.include === before.include) return
    if (onlyInclude) return void this.analyse()
    this.suggestions.clear()
    this.whatIf.refresh()
    this.cities.refresh()
    this.controls.update()
    clearTimeout(this.timer)
    this.timer = setTimeout(() => void this.analyse(), ANALYSE_DEBOUNCE_MS)
  }

  /** The area the map shows now, clear of the bottom sheet on a phone. */
  private visibleBounds(): Bounds {
    const map = this.map.map
    const canvas = map.getContainer()
    const height = Math.max(1, canvas.clientHeight - this.sheet.covered())
    const nw = map.unproject([0, 0])
    const se = map.unproject([canvas.clientWidth, height])
    return roundBounds([
      Math.max(nw.lng, -180),
      Math.max(se.lat, -85),
      Math.min(se.lng, 180),
      Math.min(nw.lat, 85),
    ])
  }

  private analyseView(): void {
    this.params = { ...this.params, bbox: this.visibleBounds() }
    this.writeAddress()
    this.layers.setArea(this.params.bbox)
    this.suggestions.clear()
    this.whatIf.refresh()
    if (this.showRequests) void this.loadRequests()
    void this.analyse()
  }

  private async analyse(): Promise<void> {
    clearTimeout(this.timer)
    const round = ++this.round
    if (invalidFields(this.params).length) {
      this.gaps = { kind: 'invalid' }
      this.layers.setGaps(null, this.params.include)
      return this.renderAll()
    }
    const include = this.params.include
    this.gaps = { kind: 'loading' }
    this.renderAll()
    let next: GapsState
    try {
      next = { kind: 'done', result: await getGaps(this.coverage(), include) }
    } catch (err) {
      if (round !== this.round || this.closed || this.unauthorised(err)) return
      console.warn(`coverage gaps unavailable: ${String(err)}`)
      next = { kind: 'failed', message: problemText(err), cell: suggestedCell(err) }
    }
    if (round !== this.round || this.closed) return
    this.gaps = next
    // a cell's details from the last analysis would no longer be true
    this.popup?.remove()
    this.layers.setGaps(next.kind === 'done' ? next.result : null, include)
    this.renderAll()
  }

  private renderAll(): void {
    this.renderSummary()
    this.renderExports()
    this.suggestions.renderButton()
    this.busy.hidden = this.gaps.kind !== 'loading'
  }

  /** 401: the session is gone; 403: this account may not plan. Either way, back to sign-in. */
  private unauthorised(err: unknown): boolean {
    if (!(err instanceof ProblemError) || (err.status !== 401 && err.status !== 403)) return false
    if (!this.closed) this.handlers.expired()
    return true
  }

  private writeAddress(): void {
    const url = `${location.pathname}?${paramsToSearch(this.params)}`
    history.replaceState(null, '', url)
  }

  private click(at: LngLat): void {
    if (this.whatIf.picking) return this.whatIf.add(at)
    this.popup?.remove()
    const point = this.map.map.project([at.lon, at.lat])
    const cell = this.layers.cellAt(point.x, point.y)
    if (!cell) return
    this.popup = new Popup({ closeButton: true, maxWidth: '260px', className: 'cell-popup' })
      .setLngLat([at.lon, at.lat])
      .setDOMContent(cellDetails(cell))
      .addTo(this.map.map)
  }

  private toggleRequests(show: boolean): void {
    this.showRequests = show
    if (show) return void this.loadRequests()
    this.requestsRound++
    this.layers.setRequests(null)
    this.controls.setRequestsNote(null)
  }

  private async loadRequests(): Promise<void> {
    const round = ++this.requestsRound
    this.controls.setRequestsNote(t().loading)
    try {
      const { features, more } = await getStationRequests(this.params.bbox)
      if (round !== this.requestsRound || this.closed) return
      this.layers.setRequests(features)
      this.controls.setRequestsNote(t().planner.requestsCount(features.length, more))
    } catch (err) {
      if (round !== this.requestsRound || this.closed || this.unauthorised(err)) return
      console.warn(`station requests unavailable: ${String(err)}`)
      this.layers.setRequests(null)
      this.controls.setRequestsNote(t().planner.requestsFailed, true)
    }
  }

  private renderUser(): void {
    this.userBar.replaceChildren(
      el('span', 'planner-user-name', `${this.me.username} · ${t().roles[this.me.role]}`),
      button('secondary-button sign-out', t().signOut, () => this.handlers.signOut()),
    )
  }

  private renderSummary(): void {
    const m = t().planner
    const state = this.gaps
    const box = this.summary
    box.dataset.state = state.kind
    for (const key of ['ratio', 'total', 'covered', 'uncovered', 'gapCells'] as const)
      delete box.dataset[key]
    const heading = el('h2', '', m.summaryTitle)
    if (state.kind === 'idle' || state.kind === 'loading')
      return box.replaceChildren(heading, el('p', 'muted', m.analysing))
    if (state.kind === 'invalid')
      return box.replaceChildren(heading, el('p', 'notice notice-error', m.invalidSettings))
    if (state.kind === 'failed') {
      const error = el('p', 'notice notice-error analysis-error', state.message)
      error.setAttribute('role', 'alert')
      const actions = el('div', 'summary-actions')
      const cell = state.cell
      if (cell !== null)
        actions.append(
          button('primary-button use-cell', m.useCell(cell), () => {
            this.change({ cell_m: cell })
            void this.analyse()
          }),
        )
      actions.append(button('secondary-button', t().retry, () => void this.analyse()))
      return box.replaceChildren(heading, error, actions)
    }
    const { summary, query } = state.result
    box.dataset.ratio = String(summary.coverage_ratio)
    box.dataset.total = String(summary.total_demand)
    box.dataset.covered = String(summary.covered_demand)
    box.dataset.uncovered = String(summary.uncovered_demand)
    box.dataset.gapCells = String(summary.gap_cells)
    const ratio = summary.coverage_ratio
    const bar = el('span', 'ratio-bar', el('span', 'ratio-fill'))
    bar.style.setProperty('--ratio', `${(ratio ?? 0) * 100}%`)
    const figure = (label: string, value: string, key: string) => {
      const node = el('div', 'figure', el('dt', '', label), el('dd', '', value))
      node.dataset.figure = key
      return node
    }
    const p = this.params
    const reach =
      p.reach === 'radius'
        ? m.reachRadius(t().distance(query.reach_m))
        : m.reachTime(p.minutes, m.modes[p.mode], t().distance(query.reach_m))
    const scope = [reach, m.cellScope(t().distance(p.cell_m)), m.minScope(p.min_stations)]
    box.replaceChildren(
      heading,
      el(
        'div',
        'summary-head',
        el('span', 'summary-ratio', percent(ratio)),
        el('span', 'summary-ratio-label', m.ratioLabel),
      ),
      bar,
      // covered and uncovered add up to the total: the API rounds them so
      ...(summary.total_demand
        ? [
            el(
              'dl',
              'summary-figures',
              figure(m.totalDemand, workers(summary.total_demand), 'total'),
              figure(m.coveredDemand, workers(summary.covered_demand), 'covered'),
              figure(m.uncoveredDemand, workers(summary.uncovered_demand), 'uncovered'),
              figure(m.gapCells, count(summary.gap_cells), 'gap-cells'),
              figure(m.gapDemand, workers(summary.gap_demand), 'gap-demand'),
            ),
            el('p', 'field-hint demand-note', m.demandNote),
          ]
        : [el('p', 'muted', m.noDemand)]),
      el('p', 'summary-scope', m.scope(scope)),
    )
  }

  private renderExports(): void {
    const gaps = this.gaps.kind === 'done' ? this.gaps.result : null
    this.exports.show(gaps, this.suggestions.result, paramsSlug(this.params), this.params.bbox)
  }
}

/** What a clicked cell holds, for its popup. */
function cellDetails(cell: GapCellProperties): HTMLElement {
  const m = t().planner
  const lines = [
    m.cellDemand(workers(cell.demand), workers(cell.covered_demand)),
    m.cellStations(cell.stations_within_reach),
  ]
  // the nearest station's road stands in for the cell's: there is no road network to name it
  if (cell.nearest_station_address) lines.push(m.cellAddress(cell.nearest_station_address))
  if (cell.requests) lines.push(m.cellRequests(cell.requests))
  return el(
    'div',
    '',
    el('strong', '', m.cellTitle(cell.gap)),
    el('p', 'cell-place', placeName(cell)),
    ...lines.map((line) => el('p', '', line)),
  )
}
