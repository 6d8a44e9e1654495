import type { Budget, CpuReport, Measurement, ScenarioResult } from './types.ts'

export function ms(v: number | undefined): string {
  if (v === undefined || !Number.isFinite(v)) return ''
  if (v < 1) return v.toFixed(3)
  return v < 10 ? v.toFixed(2) : v < 100 ? v.toFixed(1) : Math.round(v).toLocaleString('en')
}

const int = (v: number | undefined) =>
  v === undefined || !Number.isFinite(v) ? '' : Math.round(v).toLocaleString('en')

const cpu = (c: CpuReport | undefined) =>
  c ? [c.generator, c.server, c.database, c.other].map((v) => Math.round(v)).join(' / ') : ''

const perOp = (m: Measurement) =>
  m.cpuMsPerOp
    ? [m.cpuMsPerOp.generator, m.cpuMsPerOp.server, m.cpuMsPerOp.database].map(ms).join(' / ')
    : ''

function extra(m: Measurement): string {
  return Object.entries(m.extra ?? {})
    .map(([k, v]) => `${k} ${typeof v === 'number' ? v.toLocaleString('en') : v}`)
    .join(', ')
}

export function budgetText(b: Budget): string {
  const verdict = b.pass === null ? 'n/a ' : b.pass ? 'MET ' : 'MISS'
  const measured = b.measured === null ? 'not measured' : `${fmt(b.measured)}${b.unit}`
  return `${verdict}  ${b.name}: ${measured} (goal ${b.op} ${fmt(b.limit)}${b.unit})`
}

const fmt = (v: number) => (Math.abs(v) >= 100 ? int(v) : String(Math.round(v * 100) / 100))

/** Markdown: pasted as is into docs/PERFORMANCE.md. */
export function formatResults(results: readonly ScenarioResult[]): string {
  const out: string[] = []
  for (const r of results) {
    out.push(`### ${r.id} ${r.title}`, '')
    if (r.measurements.length) {
      out.push(
        '| case | system | QPS | p50 ms | p99 ms | wall ms | n | errors | CPU % gen / srv / db / other | CPU ms per op gen / srv / db | |',
        '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- | --- |',
      )
      for (const m of r.measurements) {
        out.push(
          `| ${m.case} | ${m.system} | ${int(m.qps)} | ${ms(m.p50Ms)} | ${ms(m.p99Ms)} | ` +
            `${ms(m.wallMs)} | ${int(m.count)} | ${int(m.errors)} | ${cpu(m.cpu)} | ${perOp(m)} | ` +
            `${extra(m)} |`,
        )
      }
      out.push('')
    }
    for (const x of r.ratios) {
      out.push(`- ratio ${x.name}: ${x.value === null ? 'n/a' : x.value.toFixed(2)}`)
    }
    for (const b of r.budgets) out.push(`- ${budgetText(b)}`)
    for (const n of r.notes) out.push(`- note: ${n}`)
    if (r.error) out.push(`- **ERROR**: ${r.error}`)
    for (const p of r.profiles ?? []) {
      out.push(
        `- profile of ${p.label} (${p.file}), ${int(p.busyMs)} ms busy of ${int(p.sampledMs)} ms:`,
        `  - by area: ${p.areas
          .slice(0, 10)
          .map((a) => `${a.area} ${a.selfPct} %`)
          .join(', ')}`,
        `  - by function: ${p.functions
          .slice(0, 12)
          .map((f) => `${f.name} (${f.where || 'native'}) ${f.selfPct} %`)
          .join(', ')}`,
      )
    }
    out.push('')
  }
  return out.join('\n')
}

/** pass is null in smoke runs: there the figures only prove the scripts run. */
export function budget(
  name: string,
  measured: number | null | undefined,
  op: Budget['op'],
  limit: number,
  unit: string,
  judge: boolean,
): Budget {
  const m =
    measured === undefined || measured === null || !Number.isFinite(measured) ? null : measured
  const pass = !judge || m === null ? null : op === '<=' ? m <= limit : m >= limit
  return { name, measured: m, limit, op, unit, pass }
}
