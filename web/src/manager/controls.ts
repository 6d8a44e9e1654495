import { button, el } from '../shared/dom.ts'
import { t } from '../shared/i18n.ts'

export interface Control {
  element: HTMLElement
  value(): number
}

const clamp = (v: number, min: number, max: number) => Math.min(max, Math.max(min, v))

/** − [n] + with large buttons: a count changes by one tap at a time, or by typing it. */
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
  input.type = 'number'
  input.id = opts.id
  input.inputMode = 'numeric'
  input.min = '0'
  input.max = String(opts.max)
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
  input.addEventListener('change', () => change(Number(input.value) || 0))
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

/** A 0–100 % slider in steps of 5, with its value written beside the name. */
export function levelSlider(opts: {
  id: string
  label: string
  value: number | null
  low: boolean
  onChange(): void
}): Control & { touched(): boolean } {
  let touched = false
  const input = el('input', 'level-slider')
  input.type = 'range'
  input.id = opts.id
  input.min = '0'
  input.max = '100'
  input.step = '5'
  const output = el('output', 'level-value')
  output.htmlFor.add(opts.id)
  const show = () => {
    // a supply this station has never reported shows no number until it is set
    // until moved, the level reported last, exactly (the slider itself moves in steps of 5)
    output.textContent = touched ? `${input.value}%` : opts.value === null ? '—' : `${opts.value}%`
    input.style.setProperty('--level', `${input.value}%`)
  }
  input.value = String(opts.value ?? 0)
  input.addEventListener('input', () => {
    touched = true
    show()
    opts.onChange()
  })
  const label = el('label', 'control-label', opts.label)
  label.htmlFor = opts.id
  const head = el('div', 'control-head', label, output)
  if (opts.low) head.append(el('span', 'badge badge-low', t().low))
  show()
  return {
    element: el('div', 'level', head, input),
    value: () => Number(input.value),
    touched: () => touched,
  }
}
