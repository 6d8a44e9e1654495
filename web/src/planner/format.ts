import { ProblemError } from '../shared/api.ts'
import { locale, t } from '../shared/i18n.ts'

/** A coverage ratio as a percentage with one decimal ("55.6%"); a dash when there is no demand. */
export function percent(ratio: number | null): string {
  if (ratio === null) return '—'
  return ratio.toLocaleString(locale(), {
    style: 'percent',
    minimumFractionDigits: 1,
    maximumFractionDigits: 1,
  })
}

/** Demand is a sum of weights: whole in the seed data, but not necessarily. */
export function count(n: number): string {
  return n.toLocaleString(locale(), { maximumFractionDigits: 1 })
}

/** What went wrong with a coverage request, in words a planner can act on. */
export function problemText(err: unknown): string {
  const m = t().planner
  if (!(err instanceof ProblemError)) return t().serverUnreachable
  if (err.status === 400) {
    // the API's own hint says what to change ("use cell_m=710 or more, or a smaller bbox")
    const hints = err.errors.map((e) => e.message)
    return `${m.rejected} ${hints.length ? hints.join('; ') : err.detail}`
  }
  if (err.status === 503) return m.timedOut
  return `${m.failed} ${err.status} ${err.title}`
}

/** The smallest cell size the API's 400 hint proposes, if it proposes one. */
export function suggestedCell(err: unknown): number | null {
  if (!(err instanceof ProblemError) || err.status !== 400) return null
  const match = err.errors.map((e) => /use cell_m=(\d+)/.exec(e.message)).find(Boolean)
  return match ? Number(match[1]) : null
}
