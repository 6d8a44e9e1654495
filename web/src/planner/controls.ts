import { button, el } from '../shared/dom.ts'
import { onLangChange, t } from '../shared/i18n.ts'
import { getDatasets, type TravelMode } from '../shared/api.ts'
import {
  CROSS_COVERAGE_PRESET,
  inRange,
  LIMITS,
  type Bounded,
  type PlannerParams,
} from './params.ts'

export interface ControlsHandlers {
  /** Some params changed; the planner decides when to analyse again. */
  change(next: Partial<PlannerParams>): void
  /** Analyse the area the map shows now. */
  analyseView(): void
  /** Show or hide the station-requests layer. */
  requests(show: boolean): void
}

type Messages = ReturnType<typeof t>['planner']

/** Calls `render` with the messages now and after every language switch. */
const texts = (render: (m: Messages) => void) => onLangChange(() => render(t().planner))

function chip(onClick: () => void): HTMLButtonElement {
  return button('chip', '', onClick)
}

function numberInput(id: string, field: Bounded, step: number): HTMLInputElement {
  const node = el('input', 'number-input')
  node.type = 'number'
  node.id = id
  node.inputMode = 'numeric'
  node.min = String(LIMITS[field][0])
  node.max = String(LIMITS[field][1])
  node.step = String(step)
  node.required = true
  return node
}

function checkbox(id: string): HTMLInputElement {
  const node = el('input', '')
  node.type = 'checkbox'
  node.id = id
  return node
}

/** The analysis settings: reach, cell size, how many stations count, layers and "analyse". */
export class Controls {
  readonly element = el('section', 'planner-section controls')
  private readonly reachChips: Record<PlannerParams['reach'], HTMLButtonElement>
  private readonly modeChips: Record<TravelMode, HTMLButtonElement>
  private readonly minChips: Record<1 | 2, HTMLButtonElement>
  private readonly radius = numberInput('planner-radius', 'radius_m', 50)
  private readonly minutes = numberInput('planner-minutes', 'minutes', 1)
  private readonly cell = numberInput('planner-cell', 'cell_m', 50)
  private readonly allCells = checkbox('planner-all-cells')
  private readonly requestsBox = checkbox('planner-requests')
  private readonly requestsNote = el('p', 'field-hint requests-note')
  private readonly dataset = el('select', 'dataset-select')
  private readonly datasetRow: HTMLElement
  private readonly radiusRow: HTMLElement
  private readonly timeRow: HTMLElement
  private readonly errors = new Map<Bounded, HTMLElement>()

  constructor(
    private readonly params: () => PlannerParams,
    private readonly handlers: ControlsHandlers,
  ) {
    const change = (next: Partial<PlannerParams>) => {
      handlers.change(next)
      this.update()
    }
    this.reachChips = {
      radius: chip(() => change({ reach: 'radius' })),
      time: chip(() => change({ reach: 'time' })),
    }
    this.modeChips = {
      walk: chip(() => change({ mode: 'walk' })),
      ebike: chip(() => change({ mode: 'ebike' })),
    }
    this.minChips = {
      1: chip(() => change({ min_stations: 1 })),
      2: chip(() => change({ min_stations: 2 })),
    }
    for (const [kind, node] of Object.entries(this.reachChips)) node.dataset.reach = kind
    for (const [mode, node] of Object.entries(this.modeChips)) node.dataset.mode = mode
    for (const [n, node] of Object.entries(this.minChips)) node.dataset.minStations = n

    this.bindNumber(this.radius, 'radius_m')
    this.bindNumber(this.minutes, 'minutes')
    this.bindNumber(this.cell, 'cell_m')
    this.allCells.addEventListener('change', () =>
      change({ include: this.allCells.checked ? 'all' : 'gaps' }),
    )
    this.requestsBox.addEventListener('change', () => handlers.requests(this.requestsBox.checked))
    this.dataset.id = 'planner-dataset'
    this.dataset.addEventListener('change', () => change({ dataset: this.dataset.value }))
    const datasetLabel = this.label(this.dataset)
    this.datasetRow = el('div', 'field-row dataset-row', datasetLabel, this.dataset)
    // one choice is no choice: the row appears once planners have imported a second data set
    this.datasetRow.hidden = true
    void getDatasets()
      .then((sets) => {
        const names = [...new Set([this.params().dataset, ...sets.map((d) => d.name)])]
        this.dataset.replaceChildren(
          ...names.map((name) => Object.assign(el('option', '', name), { value: name })),
        )
        this.dataset.value = this.params().dataset
        this.datasetRow.hidden = names.length < 2
      })
      .catch(() => undefined)

    const preset = button('secondary-button preset-button', '', () => change(CROSS_COVERAGE_PRESET))
    preset.dataset.preset = 'cross-15'
    const analyse = button('primary-button analyse-button', '', () => handlers.analyseView())

    const heading = el('h2', '')
    const reachLabel = el('span', 'grid-label')
    const radiusUnit = el('span', 'unit')
    const minutesUnit = el('span', 'unit')
    this.radiusRow = el('div', 'field-row', this.radius, radiusUnit)
    this.timeRow = el(
      'div',
      'field-row',
      this.minutes,
      minutesUnit,
      el('div', 'chips', this.modeChips.walk, this.modeChips.ebike),
    )
    const cellLabel = this.label(this.cell)
    const cellUnit = el('span', 'unit')
    const cellHint = el('p', 'field-hint')
    const minLabel = el('span', 'grid-label')
    const presetHint = el('p', 'field-hint')
    const allCellsLabel = this.label(this.allCells, 'check-label')
    const requestsLabel = this.label(this.requestsBox, 'check-label')
    const analyseHint = el('p', 'field-hint')
    texts((m) => {
      heading.textContent = m.settingsTitle
      reachLabel.textContent = m.reachLabel
      this.reachChips.radius.textContent = m.byDistance
      this.reachChips.time.textContent = m.byTime
      radiusUnit.textContent = m.metres
      minutesUnit.textContent = m.minutes
      this.radius.setAttribute('aria-label', `${m.reachLabel} (${m.metres})`)
      this.minutes.setAttribute('aria-label', `${m.reachLabel} (${m.minutes})`)
      for (const mode of ['walk', 'ebike'] as const)
        this.modeChips[mode].textContent = m.modes[mode]
      cellLabel.textContent = m.cellLabel
      cellUnit.textContent = m.metres
      cellHint.textContent = m.cellHint
      minLabel.textContent = m.minStationsLabel
      this.minChips[1].textContent = m.oneStation
      this.minChips[2].textContent = m.crossCoverage
      preset.textContent = m.preset
      presetHint.textContent = m.presetHint
      allCellsLabel.textContent = m.allCells
      requestsLabel.textContent = m.requestsLayer
      datasetLabel.textContent = m.datasetLabel
      analyse.textContent = m.analyseView
      analyseHint.textContent = m.analyseHint
      for (const [field, node] of this.errors) {
        const [min, max] = LIMITS[field]
        node.textContent = m.outOfRange(min, max)
      }
    })

    this.requestsNote.hidden = true
    this.requestsNote.setAttribute('role', 'status')
    this.element.append(
      heading,
      el(
        'div',
        'control-grid',
        reachLabel,
        el('div', 'chips', this.reachChips.radius, this.reachChips.time),
        el('span', ''),
        el('div', '', this.radiusRow, this.timeRow),
        this.errorFor('radius_m'),
        this.errorFor('minutes'),
        cellLabel,
        el('div', 'field-row', this.cell, cellUnit),
        this.errorFor('cell_m'),
        cellHint,
        minLabel,
        el('div', 'chips', this.minChips[1], this.minChips[2]),
      ),
      this.datasetRow,
      el('div', 'preset', preset, presetHint),
      el(
        'div',
        'checks',
        el('div', 'check', this.allCells, allCellsLabel),
        el('div', 'check', this.requestsBox, requestsLabel),
        this.requestsNote,
      ),
      analyse,
      analyseHint,
    )
    this.update()
  }

  /** Shows the params as they are now (after a preset, or params read from the address). */
  update(): void {
    const p = this.params()
    const press = (node: HTMLButtonElement, on: boolean) =>
      node.setAttribute('aria-pressed', String(on))
    press(this.reachChips.radius, p.reach === 'radius')
    press(this.reachChips.time, p.reach === 'time')
    press(this.modeChips.walk, p.mode === 'walk')
    press(this.modeChips.ebike, p.mode === 'ebike')
    press(this.minChips[1], p.min_stations === 1)
    press(this.minChips[2], p.min_stations === 2)
    this.radiusRow.hidden = p.reach !== 'radius'
    this.timeRow.hidden = p.reach !== 'time'
    this.allCells.checked = p.include === 'all'
    const show = (input: HTMLInputElement, field: Bounded, value: number, shown: boolean) => {
      // leave a field being typed in alone: "1" on the way to "1000" is not to be corrected
      if (document.activeElement !== input) input.value = String(value)
      const bad = shown && !inRange(field, Number(input.value))
      input.setAttribute('aria-invalid', String(bad))
      this.errors.get(field)!.hidden = !bad
    }
    show(this.radius, 'radius_m', p.radius_m, p.reach === 'radius')
    show(this.minutes, 'minutes', p.minutes, p.reach === 'time')
    show(this.cell, 'cell_m', p.cell_m, true)
  }

  /** How the station-requests layer is doing: loading, how many, or failed; null hides it. */
  setRequestsNote(text: string | null, error = false): void {
    this.requestsNote.textContent = text ?? ''
    this.requestsNote.hidden = text === null
    this.requestsNote.classList.toggle('notice-error', error)
  }

  private bindNumber(input: HTMLInputElement, field: 'radius_m' | 'minutes' | 'cell_m'): void {
    input.addEventListener('input', () => {
      const value = Number(input.value)
      if (input.value.trim() !== '' && inRange(field, value))
        this.handlers.change({ [field]: value })
      this.update()
    })
    // a value left out of bounds is put back to the one in use
    input.addEventListener('blur', () => this.update())
  }

  private label(target: HTMLInputElement | HTMLSelectElement, className = 'grid-label') {
    const node = el('label', className)
    node.htmlFor = target.id
    return node
  }

  private errorFor(field: Bounded): HTMLElement {
    const node = el('p', 'field-error')
    node.setAttribute('role', 'alert')
    node.dataset.field = field
    node.hidden = true
    this.errors.set(field, node)
    return node
  }
}
