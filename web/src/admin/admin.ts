import 'maplibre-gl/dist/maplibre-gl.css'
import { getMe, getMeta, type Me, type Meta } from '../shared/api.ts'
import { button, el } from '../shared/dom.ts'
import { onLangChange, t } from '../shared/i18n.ts'
import { StationMap, type LngLat } from '../shared/map.ts'
import { endSession, SignInForm } from '../shared/signin.ts'
import { Accounts } from './accounts.ts'
import { AuditLog } from './audit.ts'
import { Imports } from './imports.ts'
import { OperationsView } from './operations.ts'
import { Stations } from './stations.ts'

export async function startAdmin(main: HTMLElement): Promise<void> {
  const meta = await getMeta()
  new AdminGate(main, meta)
}

/** Only admins get the console; anyone else is asked to sign in with an admin account. */
class AdminGate {
  private readonly root = el('div', 'admin')
  private readonly form = new SignInForm(
    (me) => this.signedIn(me),
    () => ({ title: t().admin.signInTitle, intro: t().admin.signInIntro }),
  )

  constructor(
    main: HTMLElement,
    private readonly meta: Meta | null,
  ) {
    main.append(this.root)
    void this.load()
  }

  private async load(): Promise<void> {
    this.root.replaceChildren(el('p', 'muted admin-gate', t().loading))
    try {
      const me = await getMe()
      if (me) this.signedIn(me)
      else this.signedOut()
    } catch {
      const retry = button('secondary-button', t().retry, () => void this.load())
      this.root.replaceChildren(
        el('div', 'admin-gate', el('p', 'notice notice-error', t().serverUnreachable), retry),
      )
    }
  }

  private signedIn(me: Me): void {
    if (me.role !== 'admin') {
      const message = el('p', 'notice notice-error', t().admin.forbidden(me.username))
      message.setAttribute('role', 'alert')
      const other = button('primary-button', t().planner.signInOther, () => void this.signOut())
      this.root.replaceChildren(el('div', 'admin-gate', message, other))
      return
    }
    new Console(this.root, this.meta, me, () => void this.signOut())
  }

  private signedOut(): void {
    this.form.show()
    this.root.replaceChildren(el('div', 'admin-gate', this.form.element))
  }

  private async signOut(): Promise<void> {
    await endSession()
    this.signedOut()
  }
}

export interface Section {
  readonly element: HTMLElement
  /** Shown (again): a chance to refresh. */
  open(): void
  /** A click on the map away from any station. */
  place?(at: LngLat): void
  /** A click on a station of the map. */
  station?(id: number): void
  close?(): void
}

const TABS = ['stations', 'accounts', 'imports', 'operations', 'audit'] as const
type Tab = (typeof TABS)[number]

const regionText = (me: Me) =>
  [me.region.province, me.region.city, me.region.district].filter(Boolean).join(' ') ||
  t().admin.regionAll

/** The signed-in admin's console: sections in tabs beside the stations map. */
class Console {
  private readonly panel = el('div', 'admin-panel')
  private readonly tabs = el('div', 'admin-tabs')
  private readonly body = el('div', 'admin-body')
  private readonly map: StationMap
  private readonly sections: Record<Tab, Section>
  private current: Tab

  constructor(root: HTMLElement, meta: Meta | null, me: Me, signOut: () => void) {
    const mapContainer = el('div', '')
    mapContainer.id = 'map'
    const user = el('p', 'admin-user')
    const out = button('secondary-button', '', signOut)
    onLangChange(() => {
      user.textContent = `${me.username} · ${regionText(me)}`
      out.textContent = t().signOut
    })
    this.tabs.setAttribute('role', 'tablist')
    this.panel.append(el('div', 'admin-userbar', user, out), this.tabs, this.body)
    root.replaceChildren(
      el('div', 'admin-layout', this.panel, el('div', 'map-area admin-map', mapContainer)),
    )
    this.map = new StationMap(mapContainer, meta, {
      station: (properties) => this.sections[this.current].station?.(properties.id),
      place: (at) => this.sections[this.current].place?.(at),
      view: () => undefined,
    })
    this.sections = {
      stations: new Stations(this.map, me),
      accounts: new Accounts(me),
      imports: new Imports(this.map),
      operations: new OperationsView(),
      audit: new AuditLog(),
    }
    const wanted = new URLSearchParams(location.search).get('tab') as Tab | null
    this.current = wanted && TABS.includes(wanted) ? wanted : 'stations'
    onLangChange(() => this.renderTabs())
    this.show(this.current)
  }

  private renderTabs(): void {
    this.tabs.setAttribute('aria-label', t().admin.tabsLabel)
    this.tabs.replaceChildren(
      ...TABS.map((tab) => {
        const node = button('admin-tab', t().admin.tabs[tab], () => this.show(tab))
        node.setAttribute('role', 'tab')
        node.setAttribute('aria-selected', String(tab === this.current))
        node.dataset.tab = tab
        return node
      }),
    )
  }

  private show(tab: Tab): void {
    this.sections[this.current].close?.()
    this.current = tab
    const url = new URL(location.href)
    url.searchParams.set('tab', tab)
    history.replaceState(null, '', url)
    this.renderTabs()
    const section = this.sections[tab]
    section.element.setAttribute('role', 'tabpanel')
    this.body.replaceChildren(section.element)
    section.open()
  }
}
