import { ProblemError, type Suggestion } from '../shared/api.ts'
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

/** A whole number: cells, stations; demand comes from the API in whole workers. */
export function count(n: number): string {
  return n.toLocaleString(locale(), { maximumFractionDigits: 0 })
}

/** Demand with its unit: "1,234 人", "1,234 workers". */
export function workers(n: number): string {
  return t().planner.workers(count(n))
}

/** The names of a place the API gives a gap cell or a suggested site. */
export type Named = Pick<
  Suggestion,
  'district' | 'nearest_station_code' | 'nearest_station_name' | 'nearest_distance_m'
>

/** A station as planners name it: by its code, then its name. */
export function stationName(code: string | null, name: string | null): string {
  return t()
    .planner.station(code ?? '', name ?? '')
    .trim()
}

/** Where a place is, for a person: "天心区 · 近 HN-CS-00412 黄兴南路驿站 350 米". */
export function placeName(p: Named): string {
  const m = t().planner
  const near =
    p.nearest_distance_m === null
      ? m.noStationNear
      : m.nearStation(
          stationName(p.nearest_station_code, p.nearest_station_name),
          t().distance(p.nearest_distance_m),
        )
  return p.district ? `${p.district} · ${near}` : near
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
