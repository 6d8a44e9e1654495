import { button, el } from '../shared/dom.ts'
import { locale, t } from '../shared/i18n.ts'
import { getAudit, type AuditEntry } from './api.ts'
import { field, status, table, textInput } from './form.ts'
import type { Section } from './admin.ts'

const show = (v: unknown) =>
  v === null || v === undefined ? '' : JSON.stringify(v, null, 0).slice(0, 300)

/** Every change by an admin or an import, newest first, filtered by station or account. */
export class AuditLog implements Section {
  readonly element = el('section', 'admin-section admin-audit')
  private readonly stationFilter = textInput('station', '', 'number')
  private readonly actor = textInput('actor', '', 'number')
  private readonly note = status()
  private readonly list = el('div', '')
  private entries: AuditEntry[] = []
  private next: string | null = null

  open(): void {
    const a = t().admin
    const form = el('form', 'admin-toolbar')
    const apply = el('button', 'secondary-button', a.apply)
    apply.type = 'submit'
    form.addEventListener('submit', (e) => {
      e.preventDefault()
      void this.load()
    })
    form.append(field(a.filterStation, this.stationFilter), field(a.filterActor, this.actor), apply)
    this.element.replaceChildren(el('h3', '', a.auditTitle), form, this.note, this.list)
    void this.load()
  }

  private async load(more = false): Promise<void> {
    const id = (input: HTMLInputElement) => (input.value ? Number(input.value) : undefined)
    try {
      const page = await getAudit({
        station: id(this.stationFilter),
        actor: id(this.actor),
        cursor: more ? (this.next ?? undefined) : undefined,
      })
      this.entries = more ? [...this.entries, ...page.entries] : page.entries
      this.next = page.next_cursor
      this.render()
    } catch (err) {
      this.note.textContent = t().admin.failed + String(err)
    }
  }

  private render(): void {
    const a = t().admin
    const rows = this.entries.map((e) => [
      new Date(e.at).toLocaleString(locale()),
      e.actor?.username ?? a.system,
      e.action,
      [e.station ? `${e.station.code} ${e.station.name}` : '', e.user?.username ?? '']
        .filter(Boolean)
        .join(' · '),
      el('code', 'admin-change', `${show(e.before)} → ${show(e.after)}`),
    ])
    this.list.replaceChildren(
      rows.length
        ? table([a.at, a.actor, a.action, a.target, a.change], rows)
        : el('p', 'muted', a.none),
      this.next ? button('secondary-button', a.more, () => void this.load(true)) : '',
    )
  }
}
