import type { BusyHour, Report } from '../shared/api.ts'
import { el, svg } from '../shared/dom.ts'
import { dateTime, t } from '../shared/i18n.ts'

const BRAND = [27, 107, 87]
const PALE = [236, 245, 241]

/** From pale to the brand colour as `f` goes from 0 to 1. */
function shade(f: number): string {
  const mix = PALE.map((p, i) => Math.round(p + (BRAND[i]! - p) * Math.min(1, Math.max(0, f))))
  return `rgb(${mix.join(',')})`
}

/**
 * Mean occupancy by weekday (rows, Monday first) and hour (columns): a heat map whose darkest
 * cell is a full station.
 */
export function busyHoursChart(hours: BusyHour[], capacity: number): Element {
  if (!hours.length) return el('p', 'muted chart-empty', t().busyEmpty)
  const cell = 14
  const left = 30
  const top = 15
  const width = left + 24 * cell
  const height = top + 7 * cell + 2
  const scale = Math.max(capacity, ...hours.map((h) => h.mean_occupancy), 1)
  const byCell = new Map(hours.map((h) => [`${h.weekday}:${h.hour}`, h]))
  const chart = svg('svg', {
    class: 'chart busy-chart',
    viewBox: `0 0 ${width} ${height}`,
    role: 'img',
    'aria-label': t().busyTitle,
  })
  for (let hour = 0; hour < 24; hour += 6) {
    chart.append(
      svg('text', { x: left + hour * cell, y: top - 5, class: 'chart-label' }, `${hour}:00`),
    )
  }
  for (let day = 1; day <= 7; day++) {
    const y = top + (day - 1) * cell
    chart.append(
      svg(
        'text',
        { x: left - 5, y: y + cell - 4, class: 'chart-label', 'text-anchor': 'end' },
        t().weekdays[day - 1]!,
      ),
    )
    for (let hour = 0; hour < 24; hour++) {
      const h = byCell.get(`${day}:${hour}`)
      const rect = svg('rect', {
        x: left + hour * cell + 0.5,
        y: y + 0.5,
        width: cell - 1,
        height: cell - 1,
        rx: 2,
        fill: h ? shade(h.mean_occupancy / scale) : '#f1f3f5',
      })
      if (h) {
        const mean = Math.round(h.mean_occupancy * 10) / 10
        rect.append(
          svg(
            'title',
            {},
            `${t().weekdays[day - 1]} ${hour}:00 · ${t().people(mean)} (${h.reports})`,
          ),
        )
      }
      chart.append(rect)
    }
  }
  return chart
}

/** Occupancy over the reports given, against the seats. */
export function historyChart(reports: Report[], capacity: number): Element | null {
  if (!reports.length) return el('p', 'muted chart-empty', t().historyEmpty)
  // one report is a dot, not a line: the list below says it better
  if (reports.length < 2) return null
  const points = [...reports].sort((a, b) => a.reported_at.localeCompare(b.reported_at))
  const width = 400
  const height = 170
  const pad = { left: 30, right: 8, top: 14, bottom: 22 }
  const times = points.map((r) => Date.parse(r.reported_at))
  const t0 = Math.min(...times)
  const t1 = Math.max(...times, t0 + 1)
  const top = Math.max(capacity, ...points.map((r) => r.occupancy), 1)
  const x = (time: number) => pad.left + ((time - t0) / (t1 - t0)) * (width - pad.left - pad.right)
  const y = (v: number) => height - pad.bottom - (v / top) * (height - pad.top - pad.bottom)
  // occupancy holds until the next report: a step line
  let path = ''
  points.forEach((r, i) => {
    const px = x(times[i]!)
    const py = y(r.occupancy)
    path += i === 0 ? `M${px},${py}` : `H${px}V${py}`
  })
  const chart = svg('svg', {
    class: 'chart history-chart',
    viewBox: `0 0 ${width} ${height}`,
    role: 'img',
    'aria-label': t().historyChart,
  })
  const base = height - pad.bottom
  chart.append(
    svg('line', { x1: pad.left, x2: width - pad.right, y1: base, y2: base, class: 'chart-axis' }),
    svg('text', { x: pad.left - 6, y: base + 4, class: 'chart-label', 'text-anchor': 'end' }, '0'),
    svg('line', {
      x1: pad.left,
      x2: width - pad.right,
      y1: y(capacity),
      y2: y(capacity),
      class: 'chart-capacity',
    }),
    svg(
      'text',
      { x: width - pad.right, y: y(capacity) - 5, class: 'chart-label', 'text-anchor': 'end' },
      t().capacityLine(capacity),
    ),
    svg('path', { d: path, class: 'chart-line' }),
    svg(
      'text',
      { x: pad.left, y: height - 6, class: 'chart-label' },
      dateTime(points[0]!.reported_at),
    ),
    svg(
      'text',
      { x: width - pad.right, y: height - 6, class: 'chart-label', 'text-anchor': 'end' },
      dateTime(points[points.length - 1]!.reported_at),
    ),
  )
  if (top > capacity) {
    chart.append(
      svg(
        'text',
        { x: pad.left - 6, y: y(top) + 4, class: 'chart-label', 'text-anchor': 'end' },
        String(top),
      ),
    )
  }
  points.forEach((r, i) => {
    chart.append(
      svg(
        'circle',
        { cx: x(times[i]!), cy: y(r.occupancy), r: 3.5, class: 'chart-point' },
        svg('title', {}, `${dateTime(r.reported_at)} · ${t().people(r.occupancy)}`),
      ),
    )
  })
  return chart
}

/** The latest reports as rows: when, how many, chargers, supplies, by whom. */
export function historyList(reports: Report[]): HTMLElement {
  return el(
    'ol',
    'history-list',
    ...reports.map((r) => {
      const parts = [t().people(r.occupancy)]
      if (r.charging_points_in_use !== null)
        parts.push(`${t().chargersInUse} ${r.charging_points_in_use}`)
      for (const [item, level] of Object.entries(r.supplies)) {
        const name = t().supplies[item as keyof ReturnType<typeof t>['supplies']] ?? item
        parts.push(`${name} ${level}%`)
      }
      const row = el(
        'li',
        '',
        el('span', 'history-time', dateTime(r.reported_at)),
        el('span', 'history-what', parts.join(' · ')),
      )
      if (r.reported_by) row.append(el('span', 'history-by muted', t().by(r.reported_by)))
      row.dataset.version = String(r.version)
      return row
    }),
  )
}
