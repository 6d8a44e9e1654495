import { button } from './dom.ts'
import { onLangChange, t } from './i18n.ts'

export type Snap = 'peek' | 'half' | 'full'

/** Below this width the side panel becomes a bottom sheet over the map (see app.css). */
export const PHONE_QUERY = '(max-width: 799px)'
/** A drag shorter than this is a tap. */
const TAP_PX = 6

/** Sheet heights for a parent `h` pixels tall: a peek at the main button, half, nearly all. */
const HEIGHTS: Record<Snap, (h: number) => number> = {
  peek: () => 136,
  half: (h) => Math.round(h * 0.52),
  full: (h) => h - 44,
}

export interface Sheet {
  /** At least half open, to show what just appeared in it. */
  reveal(): void
  /** Map pixels the sheet covers once settled (0 on a wide screen, where it is a side panel). */
  covered(): number
}

/**
 * Makes `panel` a bottom sheet on a phone: a handle to drag, or tap, between a peek, half and
 * nearly all of the screen. Heights are set here, not in CSS, so the map knows them in advance.
 */
export function makeSheet(panel: HTMLElement): Sheet {
  const phone = window.matchMedia(PHONE_QUERY)
  const handle = button('sheet-handle', '', () => {})
  panel.prepend(handle)
  onLangChange(() => handle.setAttribute('aria-label', t().sheetToggle))

  let current: Snap = 'peek'
  const parentHeight = () => panel.parentElement?.clientHeight ?? window.innerHeight
  const target = () => HEIGHTS[current](parentHeight())
  const apply = () => {
    panel.dataset.sheet = current
    handle.setAttribute('aria-expanded', String(current !== 'peek'))
    if (phone.matches) panel.style.height = `${target()}px`
    else panel.style.removeProperty('height')
  }
  const snap = (to: Snap) => {
    current = to
    apply()
  }
  const toggle = () => snap(current === 'peek' ? 'half' : 'peek')
  apply()
  phone.addEventListener('change', apply)
  window.addEventListener('resize', apply)

  let start: { y: number; height: number } | null = null
  let moved = false
  handle.addEventListener('pointerdown', (e) => {
    if (!phone.matches) return
    start = { y: e.clientY, height: panel.getBoundingClientRect().height }
    moved = false
    panel.classList.add('dragging')
    handle.setPointerCapture(e.pointerId)
  })
  handle.addEventListener('pointermove', (e) => {
    if (!start) return
    const dy = e.clientY - start.y
    if (Math.abs(dy) > TAP_PX) moved = true
    if (moved) panel.style.height = `${Math.min(parentHeight(), Math.max(80, start.height - dy))}px`
  })
  const release = () => {
    if (!start) return
    start = null
    panel.classList.remove('dragging')
    if (!moved) return toggle()
    // settle on the nearest of the three heights
    const height = panel.getBoundingClientRect().height
    const h = parentHeight()
    const nearest = (Object.keys(HEIGHTS) as Snap[]).reduce((best, s) =>
      Math.abs(HEIGHTS[s](h) - height) < Math.abs(HEIGHTS[best](h) - height) ? s : best,
    )
    snap(nearest)
  }
  handle.addEventListener('pointerup', release)
  handle.addEventListener('pointercancel', release)
  // Enter or Space on the focused handle clicks without pointer events
  handle.addEventListener('click', (e) => {
    if (e.detail === 0) toggle()
  })

  return {
    reveal: () => {
      if (phone.matches && current === 'peek') snap('half')
    },
    covered: () => (phone.matches ? target() : 0),
  }
}
