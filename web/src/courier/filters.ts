import { AMENITIES, type Amenity } from '../../../contract/vocabulary.ts'
import { OPEN_FOR_MINUTES, type NearestFilters } from '../shared/api.ts'
import { button, el } from '../shared/dom.ts'
import { amenityIcon } from '../shared/icons.ts'
import { onLangChange, t } from '../shared/i18n.ts'

const STORAGE_KEY = 'yizhan.filters'

function stored(): NearestFilters {
  const none: NearestFilters = { amenities: [], openNow: false, available: false }
  try {
    const value = JSON.parse(localStorage.getItem(STORAGE_KEY) ?? 'null') as NearestFilters | null
    if (!value) return none
    return {
      amenities: (value.amenities ?? []).filter((a) =>
        (AMENITIES as readonly string[]).includes(a),
      ),
      openNow: value.openNow === true,
      available: value.available === true,
    }
  } catch {
    // unreadable or blocked storage: start without filters
    return none
  }
}

function chip(pressed: boolean, onClick: () => void, ...content: (Node | string)[]) {
  const node = button('chip', '', onClick)
  node.append(...content)
  node.setAttribute('aria-pressed', String(pressed))
  return node
}

/** "Open now", "has space" and amenity toggles; a courier's choice is kept for the next visit. */
export class Filters {
  readonly element = el('div', 'filters')
  value: NearestFilters = stored()
  private expanded = false

  constructor(private readonly onChange: (filters: NearestFilters) => void) {
    onLangChange(() => this.render())
  }

  get active(): boolean {
    return this.value.openNow || this.value.available || this.value.amenities.length > 0
  }

  clear(): void {
    this.set({ amenities: [], openNow: false, available: false })
  }

  private set(value: NearestFilters): void {
    this.value = value
    try {
      localStorage.setItem(STORAGE_KEY, JSON.stringify(value))
    } catch {
      // kept for this visit only
    }
    this.render()
    this.onChange(value)
  }

  private toggleAmenity(amenity: Amenity): void {
    const has = this.value.amenities.includes(amenity)
    const amenities = has
      ? this.value.amenities.filter((a) => a !== amenity)
      : AMENITIES.filter((a) => a === amenity || this.value.amenities.includes(a))
    this.set({ ...this.value, amenities })
  }

  private render(): void {
    // the buttons are rebuilt: the one just pressed keeps the keyboard focus
    const focused = (document.activeElement as HTMLElement | null)?.dataset?.filter
    const v = this.value
    const count = v.amenities.length
    const more = chip(
      false,
      () => {
        this.expanded = !this.expanded
        this.render()
      },
      `${t().amenityFilter}${count ? ` · ${count}` : ''}`,
      el('span', 'chevron', this.expanded ? '▴' : '▾'),
    )
    more.removeAttribute('aria-pressed')
    more.dataset.filter = 'amenities'
    more.setAttribute('aria-expanded', String(this.expanded))
    more.classList.toggle('chip-on', count > 0)
    const openNow = chip(
      v.openNow,
      () => this.set({ ...v, openNow: !v.openNow }),
      t().openNowFilter,
    )
    openNow.dataset.filter = 'open_now'
    openNow.title = t().openNowHint(OPEN_FOR_MINUTES)
    const available = chip(
      v.available,
      () => this.set({ ...v, available: !v.available }),
      t().availableFilter,
    )
    available.dataset.filter = 'available'
    const amenities = el(
      'div',
      'chips amenity-chips',
      ...AMENITIES.map((a) => {
        const node = chip(
          v.amenities.includes(a),
          () => this.toggleAmenity(a),
          amenityIcon(a),
          t().amenities[a],
        )
        node.dataset.filter = a
        return node
      }),
    )
    amenities.hidden = !this.expanded
    this.element.setAttribute('aria-label', t().filters)
    this.element.setAttribute('role', 'group')
    this.element.replaceChildren(el('div', 'chips', openNow, available, more), amenities)
    if (focused) this.element.querySelector<HTMLElement>(`[data-filter="${focused}"]`)?.focus()
  }
}
