import { SUPPLIES, type Supply } from '../../../contract/vocabulary.ts'
import {
  newIdempotencyKey,
  postReport,
  ProblemError,
  type ReportBody,
  type Station,
} from '../shared/api.ts'
import { el } from '../shared/dom.ts'
import { dateTime, t, timeAgo, timeOfDay } from '../shared/i18n.ts'
import { availabilityLine, seatsText } from '../shared/status.ts'
import { levelPicker, stepper, type Control } from './controls.ts'

/** The most people a report may give: seats plus people standing (the server's rule). */
const maxOccupancy = (capacity: number) => capacity * 2 + 10

type Outcome =
  | { kind: 'idle' | 'sending' | 'retry' }
  /** What was sent, and the supplies it reported below their threshold (alerts it opened). */
  | { kind: 'saved'; at: string; sent: ReportBody; opened: Supply[] }
  | { kind: 'error'; message: string }

export interface ReportHandlers {
  /** The server accepted a report; here is the station with its new status. */
  saved(station: Station): void
  /** The session has ended. */
  expired(): void
}

/**
 * Occupancy, chargers in use and supply levels for one station, sent with an Idempotency-Key
 * that stays the same while the same report is retried, so a flaky connection never counts twice.
 */
export class ReportForm {
  readonly element = el('section', 'report')
  private station: Station | null = null
  private occupancy: Control | null = null
  private chargers: Control | null = null
  private supplies = new Map<Supply, ReturnType<typeof levelPicker>>()
  /** The user has changed something since the form last showed the station's status. */
  private edited = false
  private pending: { key: string; stationId: number; body: string } | null = null
  private outcome: Outcome = { kind: 'idle' }
  private readonly current = el('div', 'report-current')
  private readonly message = el('div', 'report-message')
  private readonly submit = el('button', 'primary-button submit-report')
  /** Stays at the bottom of the screen with the answer above the button: both always in view. */
  private readonly sendBar = el('div', 'report-send', this.message, this.submit)

  constructor(private readonly handlers: ReportHandlers) {
    this.submit.type = 'submit'
    this.message.setAttribute('role', 'status')
    this.message.setAttribute('aria-live', 'polite')
  }

  /** Shows a station with its current status as the starting values. */
  show(station: Station): void {
    if (this.station?.id !== station.id) this.outcome = { kind: 'idle' }
    this.station = station
    this.edited = false
    this.build()
  }

  /** The station's status moved on (a live update): untouched fields follow it. */
  update(station: Station): void {
    if (this.station?.id !== station.id) return
    this.station = station
    if (!this.edited && this.outcome.kind !== 'sending') this.build()
    else this.renderCurrent()
  }

  /** Rewritten after a language switch. */
  render(): void {
    if (this.station) this.build()
  }

  private build(): void {
    const station = this.station!
    const changed = () => {
      this.edited = true
      if (this.outcome.kind === 'saved' || this.outcome.kind === 'error')
        this.outcome = { kind: 'idle' }
      this.renderOutcome()
    }
    this.occupancy = stepper({
      id: 'report-occupancy',
      label: t().occupancy,
      hint: t().occupancyHint(station.capacity),
      value: station.status.occupancy,
      max: maxOccupancy(station.capacity),
      onChange: changed,
    })
    this.chargers = station.charging_points
      ? stepper({
          id: 'report-chargers',
          label: t().chargersInUse,
          hint: t().chargersHint(station.charging_points),
          value: station.status.charging_points_in_use,
          max: station.charging_points,
          onChange: changed,
        })
      : null
    this.supplies.clear()
    const levels = SUPPLIES.map((item) => {
      const known = station.status.supplies[item]
      const picker = levelPicker({
        id: `report-supply-${item}`,
        label: t().supplies[item],
        value: known?.level ?? null,
        low: known?.low ?? false,
        onChange: changed,
      })
      picker.element.dataset.supply = item
      this.supplies.set(item, picker)
      return picker.element
    })
    const form = el(
      'form',
      'report-form',
      this.occupancy.element,
      ...(this.chargers ? [this.chargers.element] : []),
      el('fieldset', 'levels', el('legend', '', t().supplyLevels), ...levels),
      this.sendBar,
    )
    form.addEventListener('submit', (e) => {
      e.preventDefault()
      void this.send()
    })
    this.renderCurrent()
    this.renderOutcome()
    this.element.replaceChildren(el('h2', '', t().reportTitle), this.current, form)
  }

  private renderCurrent(): void {
    const station = this.station
    if (!station) return
    const { status } = station
    const reported = status.reported_at
    const when = el('span', 'muted', reported ? timeAgo(reported) : t().neverReported)
    if (reported) when.title = dateTime(reported)
    this.current.replaceChildren(
      el('span', 'report-current-label', `${t().currentStatus}:`),
      availabilityLine(status),
      el('span', '', seatsText(status, station.capacity)),
      when,
    )
    this.current.dataset.version = String(status.version)
  }

  private renderOutcome(): void {
    const o = this.outcome
    this.submit.disabled = o.kind === 'sending'
    this.submit.textContent =
      o.kind === 'sending' ? t().submitting : o.kind === 'retry' ? t().retry : t().submitReport
    this.message.className = 'report-message'
    if (o.kind === 'saved') {
      this.message.classList.add('notice', 'notice-ok')
      this.message.replaceChildren(...this.savedLines(o))
    } else if (o.kind === 'error') {
      this.message.classList.add('notice', 'notice-error')
      this.message.textContent = o.message
    } else if (o.kind === 'retry') {
      this.message.classList.add('notice', 'notice-error')
      this.message.textContent = t().reportRetry
    } else {
      this.message.textContent = ''
    }
  }

  /** "Reported at 14:05", what it said, and the low-stock alerts it opened. */
  private savedLines(o: Extract<Outcome, { kind: 'saved' }>): HTMLElement[] {
    const { sent } = o
    const items = [
      t().sentItem(t().occupancy, String(sent.occupancy)),
      ...(sent.charging_points_in_use === undefined
        ? []
        : [t().sentItem(t().chargersInUse, String(sent.charging_points_in_use))]),
      ...SUPPLIES.flatMap((item) => {
        const level = sent.supplies?.[item]
        return level === undefined ? [] : [t().sentItem(t().supplies[item], `${level}%`)]
      }),
    ]
    const lines = [
      el('strong', 'report-sent-at', t().reportSaved(timeOfDay(o.at))),
      el(
        'span',
        'report-sent',
        // each "name value" whole on its line; the lines break between them
        ...items.flatMap((item, i) => [
          ...(i ? [' · '] : []),
          el('span', 'report-sent-item', item),
        ]),
      ),
    ]
    if (o.opened.length)
      lines.push(
        el(
          'span',
          'report-opened',
          t().alertOpened(
            o.opened.map((item) => `${t().supplies[item]} ${sent.supplies?.[item]}%`).join(' · '),
          ),
        ),
      )
    return lines
  }

  private body(): ReportBody {
    const supplies: Partial<Record<Supply, number>> = {}
    // only the levels set just now: an untouched one may be hours old, and one never reported
    // has no level to send
    for (const [item, picker] of this.supplies) {
      const level = picker.value()
      if (picker.touched() && level !== null) supplies[item] = level
    }
    return {
      occupancy: this.occupancy!.value(),
      ...(this.chargers ? { charging_points_in_use: this.chargers.value() } : {}),
      ...(Object.keys(supplies).length ? { supplies } : {}),
    }
  }

  private async send(): Promise<void> {
    const station = this.station
    if (!station || this.outcome.kind === 'sending') return
    const body = this.body()
    const serialized = JSON.stringify(body)
    // the same report again (a retry) keeps its key; anything else is a new submission
    if (this.pending?.stationId !== station.id || this.pending.body !== serialized)
      this.pending = { key: newIdempotencyKey(), stationId: station.id, body: serialized }
    const { key } = this.pending
    this.outcome = { kind: 'sending' }
    this.renderOutcome()
    try {
      const saved = await postReport(station.id, body, key)
      this.pending = null
      // a supply low now and not before: the report opened its alert
      const opened = SUPPLIES.filter(
        (item) =>
          body.supplies?.[item] !== undefined &&
          saved.status.supplies[item]?.low &&
          !station.status.supplies[item]?.low,
      )
      this.outcome = {
        kind: 'saved',
        at: saved.status.reported_at ?? new Date().toISOString(),
        sent: body,
        opened,
      }
      this.station = saved
      this.edited = false
      this.build()
      this.handlers.saved(saved)
    } catch (err) {
      this.outcome = this.failure(err)
      this.renderOutcome()
    }
  }

  private failure(err: unknown): Outcome {
    if (!(err instanceof ProblemError) || err.status >= 500) return { kind: 'retry' }
    // answered for good: a new attempt is a new submission
    this.pending = null
    if (err.status === 401) {
      this.handlers.expired()
      return { kind: 'error', message: t().sessionExpired }
    }
    if (err.status === 403) return { kind: 'error', message: t().notYourStation }
    const detail = err.errors.length
      ? err.errors.map((e) => `${e.path}: ${e.message}`).join('; ')
      : err.detail || err.title
    return { kind: 'error', message: t().reportRejected + detail }
  }
}
