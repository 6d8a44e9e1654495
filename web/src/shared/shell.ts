import { PAGES } from '../../../contract/pages.ts'
import { button, el } from './dom.ts'
import { lang, onLangChange, setLang, t } from './i18n.ts'

/** The pages of the app, in header order. Each one is its own module, loaded when opened. */
export const VIEWS = PAGES

export type ViewName = (typeof VIEWS)[number]['name']

export function viewFor(pathname: string): ViewName {
  const path = pathname.replace(/\/+$/, '') || '/'
  return VIEWS.find((v) => v.path === path)?.name ?? 'courier'
}

function nav(active: ViewName): HTMLElement {
  const links = VIEWS.map((view) => {
    const link = el('a', 'nav-link')
    link.href = view.path
    if (view.name === active) link.setAttribute('aria-current', 'page')
    onLangChange(() => (link.textContent = t().nav[view.name]))
    return link
  })
  const node = el('nav', 'nav', ...links)
  onLangChange(() => node.setAttribute('aria-label', t().navLabel))
  return node
}

function header(active: ViewName): HTMLElement {
  const mark = el('span', 'brand-mark')
  mark.setAttribute('aria-hidden', 'true')
  const tagline = el('span', 'tagline')
  const brand = el(
    'a',
    'brand',
    mark,
    el('span', 'brand-name', '驿站', el('span', 'brand-latin', ' Yizhan')),
    tagline,
  )
  brand.href = '/'
  const switcher = button('lang-switch', '', () => setLang(lang() === 'zh' ? 'en' : 'zh'))
  onLangChange(() => {
    tagline.textContent = t().tagline
    switcher.textContent = t().switchLang
    switcher.setAttribute('aria-label', t().switchLangLabel)
    // the button names the other language, in that language
    switcher.lang = lang() === 'zh' ? 'en' : 'zh-CN'
  })
  return el('header', 'topbar', el('h1', 'brand-heading', brand), nav(active), switcher)
}

/** The page frame: the header with navigation and language, and the view's main element. */
export function renderShell(root: HTMLElement, view: ViewName): HTMLElement {
  const main = el('main', `view view-${view}`)
  // the map views fill the window; the others scroll like a document (see app.css)
  document.body.dataset.view = view
  root.replaceChildren(header(view), main)
  return main
}
