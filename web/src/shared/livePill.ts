import { el } from './dom.ts'
import { onLangChange, t } from './i18n.ts'
import type { LiveState } from './live.ts'

/** A small badge saying whether what is shown updates live, and why not when it does not. */
export function livePill(): { element: HTMLElement; set(state: LiveState): void } {
  const label = el('span', 'live-label')
  const element = el('div', 'live-pill', el('span', 'live-dot'), label)
  element.setAttribute('role', 'status')
  let state: LiveState = 'connecting'
  const render = () => {
    element.dataset.state = state
    label.textContent = t().live[state]
    element.title = t().liveTitle
  }
  onLangChange(render)
  return {
    element,
    set(next) {
      state = next
      render()
    },
  }
}
