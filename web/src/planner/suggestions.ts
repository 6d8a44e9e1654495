import { Marker, type Map as MapLibreMap } from 'maplibre-gl'
import { getSuggestions, type CoverageParams, type SuggestionsResponse } from '../shared/api.ts'
import { button, el } from '../shared/dom.ts'
import { onLangChange, t } from '../shared/i18n.ts'
import { percent, placeName, problemText, workers } from './format.ts'
import { inRange, LIMITS } from './params.ts'

type State =
  | { kind: 'idle' }
  | { kind: 'loading' }
  | { kind: 'failed'; message: string }
  | { kind: 'done'; result: SuggestionsResponse }

export interface SuggestionsHandlers {
  /** The params to suggest under, or null while they are unusable. */
  params(): CoverageParams | null
  /** A request failed for want of a session: true when that was handled. */
  unauthorised(err: unknown): boolean
  /** The list changed (the exports follow it). */
  changed(): void
  /** A marker was clicked: the panel shows its row. */
  reveal(): void
}

/**
 * "Suggest k sites": numbered markers, and a list whose coverage ratio rises row by row, each
 * site named by its district and nearest station.
 */
export class Suggestions {
  readonly element = el('section', 'planner-section suggestions')
  private state: State = { kind: 'idle' }
  private k = 10
  private round = 0
  private markers: Marker[] = []
  private selected: number | null = null
  private readonly kInput = el('input', 'number-input')
  private readonly kLabel = el('label', 'grid-label')
  private readonly ask = button('primary-button suggest-button', '', () => void this.suggest())
  private readonly heading = el('h2', '')
  private readonly intro = el('p', 'field-hint')
  private readonly body = el('div', '')

  constructor(
    private readonly map: MapLibreMap,
    private readonly handlers: SuggestionsHandlers,
  ) {
    const input = this.kInput
    input.type = 'number'
    input.id = 'planner-k'
    input.inputMode = 'numeric'
    input.min = String(LIMITS.k[0])
    input.max = String(LIMITS.k[1])
    input.value = String(this.k)
    input.addEventListener('input', () => {
      const k = Number(input.value)
      if (Number.isInteger(k) && inRange('k', k)) this.k = k
      this.renderButton()
    })
    input.addEventListener('blur', () => (input.value = String(this.k)))
    this.kLabel.htmlFor = input.id
    this.element.append(
      this.heading,
      this.intro,
      el('div', 'suggest-row', this.kLabel, input, this.ask),
      this.body,
    )
    onLangChange(() => this.render())
  }

  get result(): SuggestionsResponse | null {
    return this.state.kind === 'done' ? this.state.result : null
  }

  /** Forgets the list: it answered other params. */
  clear(): void {
    this.round++
    this.state = { kind: 'idle' }
    this.selected = null
    this.placeMarkers()
    this.render()
    this.handlers.changed()
  }

  async suggest(): Promise<void> {
    const params = this.handlers.params()
    if (!params) return
    const round = ++this.round
    this.state = { kind: 'loading' }
    this.selected = null
    this.placeMarkers()
    this.render()
    try {
      const result = await getSuggestions(params, this.k)
      if (round !== this.round) return
      this.state = { kind: 'done', result }
    } catch (err) {
      if (round !== this.round || this.handlers.unauthorised(err)) return
      console.warn(`suggestions unavailable: ${String(err)}`)
      this.state = { kind: 'failed', message: problemText(err) }
    }
    this.placeMarkers()
    this.render()
    this.handlers.changed()
  }

  private render(): void {
    const m = t().planner
    this.heading.textContent = m.suggestTitle
    this.intro.textContent = m.suggestIntro
    this.kLabel.textContent = m.suggestCount
    this.element.dataset.state = this.state.kind
    const status = el('p', 'section-status')
    status.setAttribute('role', 'status')
    const parts: Node[] = [status]
    if (this.state.kind === 'loading') status.textContent = m.suggesting
    if (this.state.kind === 'failed') {
      status.textContent = this.state.message
      status.classList.add('notice-error')
    }
    if (this.state.kind === 'done') parts.push(...this.list(this.state.result))
    this.body.replaceChildren(...parts)
    this.renderButton()
    for (const [i, marker] of this.markers.entries()) {
      const s = this.result!.suggestions[i]!
      const label = m.siteLabel(s.rank, placeName(s))
      marker.getElement().setAttribute('aria-label', label)
      marker.getElement().title = label
    }
  }

  /** Enabled only when there is something to ask: called again when the params change. */
  renderButton(): void {
    const loading = this.state.kind === 'loading'
    this.ask.textContent = loading ? t().planner.suggesting : t().planner.suggest(this.k)
    this.ask.disabled = loading || this.handlers.params() === null
  }

  private list(result: SuggestionsResponse): Node[] {
    const m = t().planner
    const { suggestions, summary } = result
    if (!suggestions.length) return [el('p', 'muted', m.noSuggestions)]
    const from = summary.coverage_ratio
    const to = suggestions.at(-1)!.coverage_ratio
    const rise = el('p', 'ratio-rise', m.ratioRise(percent(from), percent(to)))
    rise.dataset.from = String(from)
    rise.dataset.to = String(to)
    // each bar runs from the ratio before any new site to the ratio with all of them
    const low = from ?? 0
    const span = (to ?? 0) - low
    const items = suggestions.map((s) => {
      const bar = el('span', 'rise-bar', el('span', 'rise-fill'))
      const share = span > 0 ? ((s.coverage_ratio ?? 0) - low) / span : 1
      bar.style.setProperty('--share', `${Math.round(share * 1000) / 10}%`)
      const what = [m.newlyCovered(workers(s.newly_covered_demand))]
      if (s.source === 'station_request') what.push(m.sources.station_request)
      const row = button('suggestion-item', el('span', 'rank', String(s.rank)), () =>
        this.select(s.rank, true),
      )
      row.append(
        el(
          'span',
          'item-main',
          el('span', 'suggestion-place', placeName(s)),
          el('span', 'suggestion-added', what.join(' · ')),
          bar,
        ),
        el('span', 'suggestion-ratio', percent(s.coverage_ratio)),
      )
      row.setAttribute('aria-pressed', String(this.selected === s.rank))
      const item = el('li', '', row)
      item.dataset.rank = String(s.rank)
      item.dataset.ratio = String(s.coverage_ratio)
      item.dataset.added = String(s.added_demand)
      item.dataset.newlyCovered = String(s.newly_covered_demand)
      item.dataset.station = s.nearest_station_code ?? ''
      return item
    })
    return [rise, el('p', 'field-hint', m.suggestListHint), el('ol', 'suggestion-list', ...items)]
  }

  private select(rank: number, move: boolean): void {
    this.selected = rank
    for (const item of this.element.querySelectorAll<HTMLElement>('.suggestion-list li'))
      item.firstElementChild!.setAttribute(
        'aria-pressed',
        String(item.dataset.rank === String(rank)),
      )
    for (const marker of this.markers) {
      const element = marker.getElement()
      element.classList.toggle('pin-selected', element.dataset.rank === String(rank))
    }
    const s = this.result?.suggestions.find((x) => x.rank === rank)
    if (move && s) this.map.easeTo({ center: s.location, zoom: Math.max(this.map.getZoom(), 13) })
    if (!move) {
      this.handlers.reveal()
      this.element.querySelector(`li[data-rank="${rank}"]`)?.scrollIntoView({ block: 'nearest' })
    }
  }

  private placeMarkers(): void {
    for (const marker of this.markers) marker.remove()
    this.markers = (this.result?.suggestions ?? []).map((s) => {
      const element = el('button', 'pin site-pin', String(s.rank))
      element.type = 'button'
      element.dataset.rank = String(s.rank)
      element.dataset.lon = String(s.location[0])
      element.dataset.lat = String(s.location[1])
      // the best site stays on top where pins overlap
      element.style.zIndex = String(100 - s.rank)
      element.addEventListener('click', (e) => {
        e.stopPropagation()
        this.select(s.rank, false)
      })
      // lifted by the height of the pin's point (app.css), which then touches the site
      return new Marker({ element, anchor: 'bottom', offset: [0, -9] })
        .setLngLat(s.location)
        .addTo(this.map)
    })
  }
}
