import type { Availability } from '../../server/src/stations/vocabulary.ts'
import { dot, el } from './dom.ts'
import { lang, onLangChange, setLang, t } from './i18n.ts'
import { AVAILABILITY_COLORS, STALE_COLOR } from './stations.ts'

export interface Shell {
  mapContainer: HTMLElement
  setStationCount(count: number): void
}

function header(): HTMLElement {
  const mark = el('span', 'brand-mark')
  mark.setAttribute('aria-hidden', 'true')
  const name = el('span', 'brand-name')
  const tagline = el('span', 'tagline')
  const button = el('button', 'lang-switch')
  button.type = 'button'
  button.addEventListener('click', () => setLang(lang() === 'zh' ? 'en' : 'zh'))
  onLangChange(() => {
    name.textContent = t().appName
    tagline.textContent = t().tagline
    button.textContent = t().switchLang
    button.setAttribute('aria-label', t().switchLangLabel)
    // the button names the other language, in that language
    button.lang = lang() === 'zh' ? 'en' : 'zh-CN'
  })
  return el('header', 'topbar', el('div', 'brand', mark, name, tagline), button)
}

const LEGEND_ORDER: Availability[] = ['open', 'full', 'closed', 'temporarily_closed', 'unknown']

function legend(): { element: HTMLElement; setStationCount(count: number): void } {
  const box = el('section', 'legend')
  let count: number | null = null
  const render = () => {
    const items = LEGEND_ORDER.map((a) =>
      el('li', '', dot(AVAILABILITY_COLORS[a]), t().availability[a]),
    )
    items.push(el('li', '', dot(STALE_COLOR), t().stale))
    box.setAttribute('aria-label', t().legendTitle)
    box.replaceChildren(el('h2', '', t().legendTitle), el('ul', '', ...items))
    if (count !== null) box.append(el('p', 'legend-count', t().stationCount(count)))
  }
  onLangChange(render)
  return {
    element: box,
    setStationCount(n) {
      count = n
      render()
    },
  }
}

/** The page frame: header on top, the map filling the rest, the legend over the map. */
export function renderShell(root: HTMLElement): Shell {
  const mapContainer = el('div', '')
  mapContainer.id = 'map'
  const key = legend()
  root.replaceChildren(header(), el('main', 'map-area', mapContainer, key.element))
  return { mapContainer, setStationCount: key.setStationCount }
}
