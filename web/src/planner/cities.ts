import { getCoverageByCity, type CoverageByCity, type CoverageParams } from '../shared/api.ts'
import { el } from '../shared/dom.ts'
import { onLangChange, t } from '../shared/i18n.ts'
import { count, percent, problemText } from './format.ts'

type State =
  | { kind: 'idle' | 'loading' }
  | { kind: 'failed'; message: string }
  | { kind: 'done'; result: CoverageByCity; key: string }

export interface CitiesHandlers {
  params(): CoverageParams | null
  unauthorised(err: unknown): boolean
}

/**
 * Coverage per city over the whole province, with the reach in use. Asked for only while open:
 * it covers all demand, not the analysed area.
 */
export class Cities {
  readonly element = el('details', 'planner-section cities')
  private state: State = { kind: 'idle' }
  private round = 0

  constructor(private readonly handlers: CitiesHandlers) {
    this.element.addEventListener('toggle', () => {
      if (this.element.open) this.refresh()
    })
    onLangChange(() => this.render())
  }

  /** Loads again if open and the reach changed; a closed table loads when opened. */
  refresh(): void {
    if (!this.element.open) return
    const params = this.handlers.params()
    if (!params) return
    const key = JSON.stringify([params.reach, params.min_stations, params.dataset])
    if (this.state.kind === 'done' && this.state.key === key) return
    void this.load(params, key)
  }

  private async load(params: CoverageParams, key: string): Promise<void> {
    const round = ++this.round
    this.state = { kind: 'loading' }
    this.render()
    try {
      const result = await getCoverageByCity(params)
      if (round !== this.round) return
      this.state = { kind: 'done', result, key }
    } catch (err) {
      if (round !== this.round || this.handlers.unauthorised(err)) return
      console.warn(`coverage by city unavailable: ${String(err)}`)
      this.state = { kind: 'failed', message: problemText(err) }
    }
    this.render()
  }

  private render(): void {
    const m = t().planner
    const state = this.state
    this.element.dataset.state = state.kind
    const parts: Node[] = [el('summary', '', el('h2', '', m.citiesTitle))]
    if (state.kind === 'loading') parts.push(el('p', 'muted', t().loading))
    if (state.kind === 'failed') parts.push(el('p', 'notice notice-error', state.message))
    if (state.kind === 'done') {
      const { total, cities } = state.result
      const th = (text: string, numeric = false) => el('th', numeric ? 'num' : '', text)
      const td = (text: string, numeric = true) => el('td', numeric ? 'num' : '', text)
      const rows = cities.map((c) => {
        const row = el(
          'tr',
          '',
          td(c.city ?? m.noCity, false),
          td(count(c.active_stations)),
          td(count(c.total_demand)),
          td(percent(c.coverage_ratio)),
        )
        row.dataset.ratio = String(c.coverage_ratio)
        return row
      })
      const totalRow = el(
        'tr',
        'total',
        td(m.allCities, false),
        td(count(cities.reduce((n, c) => n + c.active_stations, 0))),
        td(count(total.total_demand)),
        td(percent(total.coverage_ratio)),
      )
      parts.push(
        el('p', 'field-hint', m.citiesIntro),
        el(
          'div',
          'table-wrap',
          el(
            'table',
            'city-table',
            el(
              'thead',
              '',
              el(
                'tr',
                '',
                th(m.city),
                th(m.stations, true),
                th(m.demand, true),
                th(m.coverage, true),
              ),
            ),
            el('tbody', '', ...rows),
            el('tfoot', '', totalRow),
          ),
        ),
      )
    }
    this.element.replaceChildren(...parts)
  }
}
