import { AMENITIES, type Amenity } from '../../../contract/vocabulary.ts'
import { newIdempotencyKey, ProblemError } from '../shared/api.ts'
import { button, el } from '../shared/dom.ts'
import { amenityIcon } from '../shared/icons.ts'
import { t } from '../shared/i18n.ts'
import type { LngLat } from '../shared/map.ts'
import { sendRequest } from './offline.ts'

type Outcome = { kind: 'idle' | 'sending' | 'sent' | 'queued' } | { kind: 'error'; message: string }

export interface RequestHandlers {
  back(): void
  /** The courier's position, asked of the browser; null when it cannot be had. */
  locate(): Promise<LngLat | null>
}

/** "We need a station here": a place on the map, what it should have, and a note. */
export class RequestForm {
  readonly element = el('section', 'request-form')
  private place: LngLat | null = null
  private amenities: Amenity[] = []
  private note = ''
  private outcome: Outcome = { kind: 'idle' }

  constructor(private readonly handlers: RequestHandlers) {}

  /** Starts a new request at this place (or with none yet). */
  start(place: LngLat | null): void {
    this.place = place
    this.outcome = { kind: 'idle' }
    this.render()
  }

  setPlace(place: LngLat): void {
    this.place = place
    if (this.outcome.kind === 'sent' || this.outcome.kind === 'queued')
      this.outcome = { kind: 'idle' }
    this.render()
  }

  render(): void {
    const back = button('back-button', `← ${t().back}`, () => this.handlers.back())
    if (this.outcome.kind === 'sent' || this.outcome.kind === 'queued') {
      const queued = this.outcome.kind === 'queued'
      const thanks = el('p', 'notice notice-ok', queued ? t().requestQueued : t().requestThanks)
      thanks.setAttribute('role', 'status')
      this.element.replaceChildren(back, el('h2', '', t().requestTitle), thanks)
      return
    }
    const where = el(
      'p',
      this.place ? 'request-place' : 'request-place muted',
      this.place
        ? `${this.place.lat.toFixed(5)}, ${this.place.lon.toFixed(5)}`
        : t().requestNoPlace,
    )
    const useMine = button('secondary-button', t().requestUseMine, () => {
      void this.handlers.locate().then((at) => at && this.setPlace(at))
    })
    const chips = el(
      'div',
      'chips',
      ...AMENITIES.map((a) => {
        const on = this.amenities.includes(a)
        const chip = button('chip', '', () => {
          this.amenities = on
            ? this.amenities.filter((x) => x !== a)
            : AMENITIES.filter((x) => x === a || this.amenities.includes(x))
          this.render()
          this.element.querySelector<HTMLElement>(`[data-amenity-choice="${a}"]`)?.focus()
        })
        chip.append(amenityIcon(a), t().amenities[a])
        chip.setAttribute('aria-pressed', String(on))
        chip.dataset.amenityChoice = a
        return chip
      }),
    )
    const note = el('textarea', 'request-note')
    note.id = 'request-note'
    note.maxLength = 500
    note.rows = 3
    note.placeholder = t().requestNotePlaceholder
    note.value = this.note
    note.addEventListener('input', () => (this.note = note.value))
    const noteLabel = el('label', 'field-label', t().requestNote)
    noteLabel.htmlFor = note.id
    const sending = this.outcome.kind === 'sending'
    const submit = el('button', 'primary-button', sending ? t().requestSending : t().requestSubmit)
    submit.type = 'submit'
    submit.disabled = !this.place || sending
    const form = el(
      'form',
      '',
      el('h3', '', t().requestWhere),
      where,
      useMine,
      el('h3', '', t().requestAmenities),
      chips,
      noteLabel,
      note,
      submit,
    )
    if (this.outcome.kind === 'error') {
      const error = el('p', 'notice notice-error', this.outcome.message)
      error.setAttribute('role', 'alert')
      form.append(error)
    }
    form.addEventListener('submit', (e) => {
      e.preventDefault()
      void this.send()
    })
    this.element.replaceChildren(
      back,
      el('h2', '', t().requestTitle),
      el('p', 'muted', t().requestIntro),
      form,
    )
  }

  private async send(): Promise<void> {
    if (!this.place || this.outcome.kind === 'sending') return
    this.outcome = { kind: 'sending' }
    this.render()
    try {
      const body = {
        location: { lon: round(this.place.lon), lat: round(this.place.lat) },
        amenities: this.amenities,
        ...(this.note.trim() ? { note: this.note.trim() } : {}),
      }
      const sent = await sendRequest(body, newIdempotencyKey())
      this.outcome = { kind: sent ? 'sent' : 'queued' }
      this.amenities = []
      this.note = ''
    } catch (err) {
      this.outcome = { kind: 'error', message: failure(err) }
    }
    this.render()
  }
}

/** Metre precision is plenty for where a station should go. */
const round = (v: number) => Math.round(v * 1e5) / 1e5

function failure(err: unknown): string {
  if (err instanceof ProblemError) {
    if (err.status === 429) return t().requestTooMany
    const fields = err.errors.map((e) => `${e.path}: ${e.message}`).join('; ')
    if (err.status === 400 && fields) return `${t().requestFailed} (${fields})`
  }
  return t().requestFailed
}
