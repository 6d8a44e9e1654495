import { getPlaces, type Bounds, type Place } from './api.ts'
import { el } from './dom.ts'
import { onLangChange, t } from './i18n.ts'
import type { StationMap } from './map.ts'

export type { Place }

/** Typing "wuyi" asks once, not four times. */
const DEBOUNCE_MS = 200
const LIMIT = 8

export interface PlaceSearchOptions {
  /** A place was chosen (Enter on an option, or a tap). */
  onPick(place: Place): void
  /** The area in view: the server ranks places in it first among equals. */
  area?: () => Bounds | null
}

export interface PlaceSearch {
  readonly element: HTMLElement
  readonly input: HTMLInputElement
}

type State = { kind: 'idle' | 'searching' | 'failed' } | { kind: 'done'; places: Place[] }

let instances = 0

/**
 * A search box for places (ARIA 1.2 combobox with a listbox popup): type, then choose with the
 * arrow keys and Enter or a tap; Escape closes the list, then clears the text. Each answer
 * replaces the previous request, which is aborted.
 */
export function placeSearch(options: PlaceSearchOptions): PlaceSearch {
  const id = `place-search-${++instances}`
  const label = el('label', 'visually-hidden')
  label.htmlFor = `${id}-input`
  const input = el('input', 'place-search-input')
  input.id = `${id}-input`
  input.type = 'search'
  input.autocomplete = 'off'
  input.spellcheck = false
  input.enterKeyHint = 'search'
  input.setAttribute('role', 'combobox')
  input.setAttribute('aria-autocomplete', 'list')
  input.setAttribute('aria-expanded', 'false')
  input.setAttribute('aria-controls', `${id}-list`)
  const list = el('ul', 'place-search-list')
  list.id = `${id}-list`
  list.setAttribute('role', 'listbox')
  list.hidden = true
  const status = el('p', 'place-search-status')
  status.setAttribute('role', 'status')
  const element = el('div', 'place-search', label, input, list, status)

  let state: State = { kind: 'idle' }
  let active = -1
  let open = false
  let timer: ReturnType<typeof setTimeout> | undefined
  let pending: AbortController | null = null

  const places = () => (state.kind === 'done' ? state.places : [])

  function setOpen(next: boolean) {
    open = next && state.kind !== 'idle'
    list.hidden = !open || places().length === 0
    input.setAttribute('aria-expanded', String(!list.hidden))
    // always in the page, so that screen readers announce it; seen only when the list is not
    status.classList.toggle('visually-hidden', !open || !list.hidden)
    if (!open) setActive(-1)
  }

  function setActive(index: number) {
    active = index
    const options = list.querySelectorAll<HTMLElement>('[role="option"]')
    options.forEach((option, i) => option.setAttribute('aria-selected', String(i === index)))
    const chosen = options[index]
    if (chosen) {
      input.setAttribute('aria-activedescendant', chosen.id)
      chosen.scrollIntoView({ block: 'nearest' })
    } else input.removeAttribute('aria-activedescendant')
  }

  function render() {
    label.textContent = t().places.label
    input.placeholder = t().places.placeholder
    const m = t().places
    status.textContent =
      state.kind === 'searching'
        ? m.searching
        : state.kind === 'failed'
          ? m.failed
          : state.kind === 'done'
            ? state.places.length
              ? m.found(state.places.length)
              : m.noMatches
            : ''
    status.classList.toggle('place-search-error', state.kind === 'failed')
    list.replaceChildren(...places().map((place, i) => option(place, `${id}-option-${i}`)))
    for (const [i, node] of [...list.children].entries()) {
      node.addEventListener('pointerdown', (e) => e.preventDefault())
      node.addEventListener('click', () => pick(i))
    }
    setOpen(open)
    setActive(Math.min(active, places().length - 1))
  }

  function pick(index: number) {
    const place = places()[index]
    if (!place) return
    input.value = place.properties.name
    setOpen(false)
    options.onPick(place)
  }

  async function search(q: string) {
    pending?.abort()
    const controller = new AbortController()
    pending = controller
    state = { kind: 'searching' }
    active = -1
    render()
    try {
      const found = await getPlaces(q, {
        limit: LIMIT,
        area: options.area?.() ?? null,
        signal: controller.signal,
      })
      if (controller.signal.aborted) return
      state = { kind: 'done', places: found }
    } catch (err) {
      if (controller.signal.aborted) return
      console.warn(`place search failed: ${String(err)}`)
      state = { kind: 'failed' }
    }
    pending = null
    render()
  }

  input.addEventListener('input', () => {
    clearTimeout(timer)
    const q = input.value.trim()
    if (!q) {
      pending?.abort()
      state = { kind: 'idle' }
      setOpen(false)
      return render()
    }
    open = true
    timer = setTimeout(() => void search(q.slice(0, 64)), DEBOUNCE_MS)
  })

  input.addEventListener('keydown', (e) => {
    const count = places().length
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault()
      if (!open) return setOpen(true)
      if (!count) return
      const step = e.key === 'ArrowDown' ? 1 : -1
      setActive(active < 0 ? (step > 0 ? 0 : count - 1) : (active + step + count) % count)
    } else if (e.key === 'Enter') {
      if (open && active >= 0) {
        e.preventDefault()
        pick(active)
      }
    } else if (e.key === 'Escape') {
      // the first Escape closes the list, the next one (the browser's) clears the text
      if (open) {
        e.preventDefault()
        setOpen(false)
      }
    }
  })
  input.addEventListener('focus', () => setOpen(state.kind !== 'idle'))
  element.addEventListener('focusout', (e) => {
    if (!element.contains(e.relatedTarget as Node | null)) setOpen(false)
  })

  onLangChange(render)
  render()
  return { element, input }
}

/** One result: its name, what kind of place it is, and where. */
function option(place: Place, id: string): HTMLElement {
  const p = place.properties
  const where =
    p.kind === 'city'
      ? p.province
      : p.kind === 'district'
        ? p.city
        : [p.city, p.district].filter(Boolean).join(' ')
  const node = el(
    'li',
    'place-search-option',
    el('span', `place-kind place-kind-${p.kind}`, t().places.kinds[p.kind]),
    el('span', 'place-text', el('span', 'place-name', p.name), el('span', 'place-where', where)),
  )
  node.id = id
  node.dataset.placeId = place.id
  node.setAttribute('role', 'option')
  node.setAttribute('aria-selected', 'false')
  return node
}

/** Moves the map to a chosen place: a station is selected and centred, a region fitted. */
export function showPlace(map: StationMap, place: Place): void {
  const [lon, lat] = place.geometry.coordinates
  const stationId = place.properties.station_id
  map.select(stationId)
  if (place.bbox) {
    const [w, s, e, n] = place.bbox
    map.show(
      [
        { lon: w, lat: s },
        { lon: e, lat: n },
      ],
      14,
    )
  } else map.focus({ lon, lat }, 15)
}

/** The area a map shows, for `PlaceSearchOptions.area`. */
export function viewArea(map: StationMap): Bounds {
  const b = map.map.getBounds()
  return [
    Math.max(b.getWest(), -180),
    Math.max(b.getSouth(), -90),
    Math.min(b.getEast(), 180),
    Math.min(b.getNorth(), 90),
  ]
}
