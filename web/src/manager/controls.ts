import { button, el } from '../shared/dom.ts'
import { t } from '../shared/i18n.ts'

export interface Control {
  element: HTMLElement
  value(): number
}

const clamp = (v: number, min: number, max: number) => Math.min(max, Math.max(min, v))

/**
 * − [n] + with large buttons: a count changes by one tap at a time, or by typing it. A text field
 * rather than a number one, whose value a mouse wheel or a stray scroll would change.
 */
export function stepper(opts: {
  id: string
  label: string
  hint: string
  value: number
  max: number
  onChange(): void
}): Control {
  let value = clamp(opts.value, 0, opts.max)
  const input = el('input', 'stepper-input')
  input.type = 'text'
  input.id = opts.id
  input.inputMode = 'numeric'
  input.autocomplete = 'off'
  const show = () => {
    input.value = String(value)
    minus.disabled = value <= 0
    plus.disabled = value >= opts.max
  }
  const change = (next: number) => {
    value = clamp(Math.round(next), 0, opts.max)
    show()
    opts.onChange()
  }
  const minus = button('step-button', '−', () => change(value - 1))
  const plus = button('step-button', '+', () => change(value + 1))
  minus.setAttribute('aria-label', `${t().decrease}: ${opts.label}`)
  plus.setAttribute('aria-label', `${t().increase}: ${opts.label}`)
  minus.dataset.step = 'down'
  plus.dataset.step = 'up'
  input.addEventListener('change', () => change(Number(input.value.replace(/\D/g, '')) || 0))
  const label = el('label', 'control-label', opts.label)
  label.htmlFor = opts.id
  show()
  const element = el(
    'div',
    'stepper',
    el('div', 'control-head', label, el('span', 'control-hint', opts.hint)),
    el('div', 'stepper-row', minus, input, plus),
  )
  return { element, value: () => value }
}

/** The levels one tap sets, and the step of the fine adjustment between them. */
export const QUICK_LEVELS = [0, 25, 50, 75, 100] as const
export const FINE_STEP = 5

/**
 * A supply level: one tap on 0 / 25 / 50 / 75 / 100 %, then − / + by 5 for the exact value.
 * Only taps change it (radio buttons and buttons): a swipe or a wheel that starts on it scrolls
 * the page. A level never reported has none chosen until the manager picks one.
 */
export function levelPicker(opts: {
  id: string
  label: string
  value: number | null
  low: boolean
  onChange(): void
}): { element: HTMLElement; value(): number | null; touched(): boolean } {
  let value = opts.value
  let touched = false
  const name = el('span', 'control-label', opts.label)
  name.id = `${opts.id}-label`
  const state = el('span', 'level-state')
  const exact = el('output', 'level-value')
  exact.id = `${opts.id}-value`
  exact.setAttribute('aria-live', 'polite')
  const radios = QUICK_LEVELS.map((level) => {
    const radio = el('input', 'level-radio')
    radio.type = 'radio'
    radio.name = opts.id
    radio.value = String(level)
    // a click, not a change: tapping the level already shown confirms it for this report
    radio.addEventListener('click', () => set(level))
    return radio
  })
  const options = el(
    'div',
    'level-options',
    ...radios.map((radio) =>
      el('label', 'level-option', radio, el('span', 'level-option-text', `${radio.value}%`)),
    ),
  )
  options.setAttribute('role', 'radiogroup')
  options.setAttribute('aria-labelledby', name.id)
  const minus = button('fine-button', `−${FINE_STEP}`, () => set((value ?? 0) - FINE_STEP))
  const plus = button('fine-button', `+${FINE_STEP}`, () => set((value ?? 0) + FINE_STEP))
  minus.setAttribute('aria-label', `${t().decreaseBy(FINE_STEP)}: ${opts.label}`)
  plus.setAttribute('aria-label', `${t().increaseBy(FINE_STEP)}: ${opts.label}`)
  minus.dataset.step = 'down'
  plus.dataset.step = 'up'
  minus.setAttribute('aria-describedby', exact.id)
  plus.setAttribute('aria-describedby', exact.id)

  function set(next: number): void {
    value = clamp(Math.round(next), 0, 100)
    touched = true
    show()
    opts.onChange()
  }
  function show(): void {
    for (const radio of radios) radio.checked = Number(radio.value) === value
    exact.textContent = value === null ? '—' : `${value}%`
    // said in words, so that no one has to tell "last time" from "now" by a colour
    state.textContent =
      value === null ? t().supplyNotReported : touched ? t().supplyInReport : t().supplyLastReported
    state.dataset.state = value === null ? 'unreported' : touched ? 'changed' : 'reported'
    // fine steps adjust a level: until there is one, there is nothing to adjust
    minus.disabled = value === null || value <= 0
    plus.disabled = value === null || value >= 100
  }

  const title = el('div', 'level-title', name)
  if (opts.low) title.append(el('span', 'badge badge-low', t().low))
  show()
  const element = el(
    'div',
    'level',
    el(
      'div',
      'control-head level-head',
      el('div', 'level-name', title, state),
      el('div', 'level-fine', minus, exact, plus),
    ),
    options,
  )
  return { element, value: () => value, touched: () => touched }
}
