import { el } from '../shared/dom.ts'

let ids = 0

/** A labelled input; the label is tied to it for screen readers. */
export function field(
  label: string,
  input: HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement,
): HTMLElement {
  input.id ||= `admin-field-${++ids}`
  const tag = el('label', 'admin-label', label)
  tag.htmlFor = input.id
  return el('div', 'admin-field', tag, input)
}

export function textInput(name: string, value = '', type = 'text'): HTMLInputElement {
  const input = el('input', 'admin-input')
  input.name = name
  input.type = type
  input.value = value
  return input
}

export function select(name: string, options: [value: string, label: string][], value = '') {
  const node = el('select', 'admin-input')
  node.name = name
  const chosen = value || (options[0]?.[0] ?? '')
  for (const [v, label] of options) {
    const option = el('option', '', label)
    option.value = v
    // what a form reset goes back to
    option.defaultSelected = v === chosen
    node.append(option)
  }
  return node
}

/** A table with a header row; cells may be text or nodes. */
export function table(headers: string[], rows: (string | Node)[][], caption?: string) {
  const node = el('table', 'admin-table')
  if (caption) node.append(el('caption', '', caption))
  const head = el('tr', '', ...headers.map((h) => el('th', '', h)))
  head.querySelectorAll('th').forEach((th) => th.setAttribute('scope', 'col'))
  node.append(
    el('thead', '', head),
    el('tbody', '', ...rows.map((cells) => el('tr', '', ...cells.map((c) => el('td', '', c))))),
  )
  return el('div', 'admin-table-wrap', node)
}

/** A status line that screen readers announce. */
export function status(className = 'admin-status'): HTMLElement {
  const node = el('p', className)
  node.setAttribute('role', 'status')
  return node
}
