import { el } from '../shared/dom.ts'
import { locale, t } from '../shared/i18n.ts'
import { getOperations, type Operations } from './api.ts'
import { field, status, table, textInput } from './form.ts'
import type { Section } from './admin.ts'

/** What needs attention in the region: silent stations, low stock, stations without a manager. */
export class OperationsView implements Section {
  readonly element = el('section', 'admin-section admin-operations')
  private readonly hours = textInput('stale_hours', '24', 'number')
  private readonly note = status()
  private readonly lists = el('div', '')

  constructor() {
    this.hours.min = '1'
    this.hours.max = '720'
    this.hours.addEventListener('change', () => void this.load())
  }

  open(): void {
    this.element.replaceChildren(field(t().admin.staleHours, this.hours), this.note, this.lists)
    void this.load()
  }

  private async load(): Promise<void> {
    try {
      this.render(await getOperations(Math.max(1, Math.min(720, Number(this.hours.value) || 24))))
      this.note.textContent = ''
    } catch (err) {
      this.note.textContent = t().admin.failed + String(err)
    }
  }

  private render(ops: Operations): void {
    const a = t().admin
    const when = (iso: string) => new Date(iso).toLocaleString(locale())
    this.lists.replaceChildren(
      el('h3', '', a.stale(ops.counts.stale)),
      table(
        [a.code, a.name, a.city, a.at],
        ops.stale.map((s) => [
          s.code,
          s.name,
          [s.city, s.district].filter(Boolean).join(' '),
          s.hours_since === null ? a.never : a.hoursAgo(s.hours_since),
        ]),
      ),
      el('h3', '', a.alerts(ops.counts.alerts)),
      table(
        [a.name, a.amenities, a.message, a.at],
        ops.alerts.map((x) => [
          x.station_name,
          (t().supplies as Record<string, string>)[x.item] ?? x.item,
          `${x.level}% < ${x.threshold}%`,
          when(x.opened_at),
        ]),
      ),
      el('h3', '', a.unmanaged(ops.counts.unmanaged)),
      table(
        [a.code, a.name, a.city],
        ops.unmanaged.map((s) => [s.code, s.name, [s.city, s.district].filter(Boolean).join(' ')]),
      ),
    )
  }
}
