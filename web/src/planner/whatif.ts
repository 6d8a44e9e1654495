import { MAX_WHAT_IF_SITES } from '../../../contract/coverage.ts'
import { Marker, type Map as MapLibreMap } from 'maplibre-gl'
import { postWhatIf, type CoverageParams, type WhatIfResponse } from '../shared/api.ts'
import { button, el } from '../shared/dom.ts'
import { onLangChange, t } from '../shared/i18n.ts'
import type { LngLat } from '../shared/map.ts'
import { percent, problemText, workers } from './format.ts'

/** Clicks in quick succession cost one request. */
const DEBOUNCE_MS = 250

type State =
  | { kind: 'idle' }
  | { kind: 'loading' }
  | { kind: 'failed'; message: string }
  | { kind: 'done'; result: WhatIfResponse }

export interface WhatIfHandlers {
  params(): CoverageParams | null
  unauthorised(err: unknown): boolean
  /** Picking places on the map started or stopped. */
  picking(on: boolean): void
}

interface Site {
  at: [lon: number, lat: number]
  marker: Marker
}

/** Hypothetical stations clicked onto the map, and the coverage ratio before and with them. */
export class WhatIf {
  readonly element = el('section', 'planner-section whatif')
  private sites: Site[] = []
  private state: State = { kind: 'idle' }
  private active = false
  private round = 0
  private timer: ReturnType<typeof setTimeout> | undefined
  private readonly heading = el('h2', '')
  private readonly intro = el('p', 'field-hint')
  private readonly toggle = button('', '', () => this.setPicking(!this.active))
  private readonly clearButton = button('secondary-button whatif-clear', '', () => this.clear())
  private readonly result = el('div', 'whatif-result')

  constructor(
    private readonly map: MapLibreMap,
    private readonly handlers: WhatIfHandlers,
  ) {
    this.result.setAttribute('role', 'status')
    this.element.append(
      this.heading,
      this.intro,
      el('div', 'whatif-actions', this.toggle, this.clearButton),
      this.result,
    )
    onLangChange(() => this.render())
  }

  get picking(): boolean {
    return this.active
  }

  setPicking(on: boolean): void {
    this.active = on
    this.handlers.picking(on)
    this.render()
  }

  add(at: LngLat): void {
    if (this.sites.length >= MAX_WHAT_IF_SITES) return
    const site: Site = { at: [at.lon, at.lat], marker: this.marker(at) }
    this.sites.push(site)
    this.schedule()
  }

  clear(): void {
    for (const site of this.sites) site.marker.remove()
    this.sites = []
    this.schedule()
  }

  /** Computes again under new params (or shows nothing while they are unusable). */
  refresh(): void {
    if (this.sites.length) this.schedule()
  }

  private remove(site: Site): void {
    site.marker.remove()
    this.sites = this.sites.filter((s) => s !== site)
    this.schedule()
  }

  private schedule(): void {
    clearTimeout(this.timer)
    this.round++
    const params = this.handlers.params()
    if (!this.sites.length || !params) {
      this.state = { kind: 'idle' }
      return this.render()
    }
    this.state = { kind: 'loading' }
    this.render()
    this.timer = setTimeout(() => void this.compute(params), DEBOUNCE_MS)
  }

  private async compute(params: CoverageParams): Promise<void> {
    const round = this.round
    const sites = this.sites.map((s) => s.at)
    try {
      const result = await postWhatIf(params, sites)
      if (round !== this.round) return
      this.state = { kind: 'done', result }
    } catch (err) {
      if (round !== this.round || this.handlers.unauthorised(err)) return
      console.warn(`what-if unavailable: ${String(err)}`)
      this.state = { kind: 'failed', message: problemText(err) }
    }
    this.render()
  }

  private marker(at: LngLat): Marker {
    const element = el('button', 'pin whatif-pin', '+')
    element.type = 'button'
    element.dataset.lon = String(at.lon)
    element.dataset.lat = String(at.lat)
    element.setAttribute('aria-label', t().planner.removeSite)
    element.title = t().planner.removeSite
    const marker = new Marker({ element, anchor: 'bottom', offset: [0, -9] })
      .setLngLat([at.lon, at.lat])
      .addTo(this.map)
    element.addEventListener('click', (e) => {
      e.stopPropagation()
      const site = this.sites.find((s) => s.marker === marker)
      if (site) this.remove(site)
    })
    return marker
  }

  private render(): void {
    const m = t().planner
    this.heading.textContent = m.whatIfTitle
    this.intro.textContent = m.whatIfIntro
    this.toggle.className = this.active
      ? 'primary-button whatif-toggle'
      : 'secondary-button whatif-toggle'
    this.toggle.textContent = this.active ? m.whatIfStop : m.whatIfStart
    this.toggle.setAttribute('aria-pressed', String(this.active))
    this.clearButton.textContent = m.whatIfClear
    this.clearButton.hidden = !this.sites.length
    const result = this.result
    result.dataset.state = this.state.kind
    result.dataset.sites = String(this.sites.length)
    delete result.dataset.before
    delete result.dataset.after
    const state = this.state
    if (!this.sites.length)
      result.replaceChildren(el('p', 'muted', this.active ? m.whatIfPick : m.whatIfEmpty))
    else if (state.kind === 'loading')
      result.replaceChildren(
        el('p', 'muted', `${m.whatIfSites(this.sites.length)} · ${m.computing}`),
      )
    else if (state.kind === 'failed')
      result.replaceChildren(el('p', 'notice notice-error', state.message))
    else if (state.kind === 'done') {
      const { before, after, added_demand } = state.result
      result.dataset.before = String(before.coverage_ratio)
      result.dataset.after = String(after.coverage_ratio)
      result.replaceChildren(
        el('p', 'muted', m.whatIfSites(this.sites.length)),
        el(
          'p',
          'whatif-ratio',
          el('span', '', percent(before.coverage_ratio)),
          ' → ',
          el('strong', '', percent(after.coverage_ratio)),
        ),
        el('p', 'whatif-added', m.whatIfAdded(workers(added_demand))),
      )
    }
    for (const site of this.sites) {
      site.marker.getElement().setAttribute('aria-label', m.removeSite)
      site.marker.getElement().title = m.removeSite
    }
  }
}
