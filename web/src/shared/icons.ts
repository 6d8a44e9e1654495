import type { Amenity } from '../../../contract/vocabulary.ts'
import { svg } from './dom.ts'
import { t } from './i18n.ts'

/** 24 × 24 stroke drawings; bundled, because the page may have no icon font (or internet). */
const AMENITY_PATHS: Record<Amenity, string> = {
  rest_seating: 'M7 3v10h11 M7 13v8 M18 13v8 M7 8h9',
  drinking_water: 'M12 3c3 4.5 6 7.5 6 11a6 6 0 0 1-12 0c0-3.5 3-6.5 6-11z',
  hot_water:
    'M5 10h11v5a5 5 0 0 1-5 5h-1a5 5 0 0 1-5-5z M16 11h2a2.5 2.5 0 0 1 0 5h-2 M8 3c-1 1.5 1 2.5 0 4 M12 3c-1 1.5 1 2.5 0 4',
  heating:
    'M12 3c1 4 5 5.5 5 10.5a5 5 0 0 1-10 0c0-2.5 1.3-4 2.5-5 .3 2 1.2 3 2.3 3.5-.4-3 0-6.5.2-9z',
  air_conditioning:
    'M12 3v18 M4.2 7.5l15.6 9 M4.2 16.5l15.6-9 M9.5 4.5 12 7l2.5-2.5 M9.5 19.5 12 17l2.5 2.5',
  rain_shelter: 'M3 12a9 9 0 0 1 18 0z M12 12v6.5a2 2 0 0 1-4 0',
  phone_charging: 'M8 3h8a1 1 0 0 1 1 1v16a1 1 0 0 1-1 1H8a1 1 0 0 1-1-1V4a1 1 0 0 1 1-1z M11 18h2',
  ebike_charging: 'M13 2 5 14h6l-1 8 8-12h-6z',
  battery_swap:
    'M4 7h14a1 1 0 0 1 1 1v8a1 1 0 0 1-1 1H4a1 1 0 0 1-1-1V8a1 1 0 0 1 1-1z M21 10v4 M7 12h8 M12 9l3 3-3 3',
  microwave:
    'M4 5h16a1 1 0 0 1 1 1v12a1 1 0 0 1-1 1H4a1 1 0 0 1-1-1V6a1 1 0 0 1 1-1z M6 8h9v8H6z M18 9v1 M18 13v1',
  fridge:
    'M7 2h10a1 1 0 0 1 1 1v18a1 1 0 0 1-1 1H7a1 1 0 0 1-1-1V3a1 1 0 0 1 1-1z M6 10h12 M9 5v2 M9 13v3',
  toilet: 'M6 3h5v8 M4 11h16a8 7 0 0 1-8 7 8 7 0 0 1-8-7z M9 17.5 8 21h8l-1-3.5',
  first_aid:
    'M4 6h16a1 1 0 0 1 1 1v12a1 1 0 0 1-1 1H4a1 1 0 0 1-1-1V7a1 1 0 0 1 1-1z M9 6V4h6v2 M12 10v6 M9 13h6',
  sanitary_products: 'M12 4a5 5 0 1 1 0 10 5 5 0 0 1 0-10z M12 14v7 M9 18h6',
  wifi: 'M2 9a15 15 0 0 1 20 0 M5 12.5a10 10 0 0 1 14 0 M8.5 16a5 5 0 0 1 7 0 M12 19.5v.5',
}

/** The amenity's drawing, named for screen readers and with a tooltip. */
export function amenityIcon(amenity: Amenity): SVGSVGElement {
  const label = t().amenities[amenity]
  const node = svg(
    'svg',
    {
      class: 'icon',
      viewBox: '0 0 24 24',
      role: 'img',
      'aria-label': label,
      fill: 'none',
      stroke: 'currentColor',
      'stroke-width': 1.8,
      'stroke-linecap': 'round',
      'stroke-linejoin': 'round',
    },
    svg('title', {}, label),
    svg('path', { d: AMENITY_PATHS[amenity] }),
  )
  node.dataset.amenity = amenity
  return node
}

/** The "locate me" crosshair. */
export function locateIcon(): SVGSVGElement {
  return svg(
    'svg',
    {
      class: 'icon',
      viewBox: '0 0 24 24',
      'aria-hidden': 'true',
      fill: 'none',
      stroke: 'currentColor',
      'stroke-width': 2,
      'stroke-linecap': 'round',
    },
    svg('circle', { cx: 12, cy: 12, r: 7 }),
    svg('circle', { cx: 12, cy: 12, r: 2.5, fill: 'currentColor' }),
    svg('path', { d: 'M12 1v4 M12 19v4 M1 12h4 M19 12h4' }),
  )
}
