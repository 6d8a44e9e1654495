import fs from 'node:fs'
import path from 'node:path'
import type { ProfileSummary } from './types.ts'

interface CpuProfile {
  nodes: {
    id: number
    callFrame: { functionName: string; url: string; lineNumber: number }
  }[]
  samples: number[]
  timeDeltas: number[]
}

/** Where a function lives: its package, its server folder, node core, or a V8 pseudo-frame. */
function areaOf(name: string, url: string): string {
  if (!url) return name.startsWith('(') ? name : '(native)'
  if (url.startsWith('node:')) return 'node core'
  const pkg = url.match(/node_modules\/((?:@[^/]+\/)?[^/]+)\/(?!.*node_modules\/)/)
  if (pkg) return pkg[1]!
  const own = url.match(/\/(server\/src\/[^/]+|seed|db)\//)
  return own ? own[1]! : url.replace(/^file:\/\//, '')
}

function shortUrl(url: string): string {
  return url
    .replace(/^file:\/\/.*?\/node_modules\//, '')
    .replace(/^file:\/\/.*?\/(server\/src\/)/, '$1')
}

/** Self time per function and per area of a V8 .cpuprofile (node --cpu-prof), in % of busy time. */
export function summariseProfile(label: string, file: string, top = 25): ProfileSummary {
  const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as CpuProfile
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const selfUs = new Map<number, number>()
  let total = 0
  let idle = 0
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0
    selfUs.set(id, (selfUs.get(id) ?? 0) + dt)
    total += dt
    if (byId.get(id)?.callFrame.functionName === '(idle)') idle += dt
  })
  const busy = total - idle
  const functions = new Map<string, { name: string; where: string; us: number }>()
  const areas = new Map<string, number>()
  for (const [id, us] of selfUs) {
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame
    if (functionName === '(idle)') continue
    const name = functionName || '(anonymous)'
    const where = url ? `${shortUrl(url)}:${lineNumber + 1}` : ''
    const key = `${name} ${where}`
    const f = functions.get(key) ?? { name, where, us: 0 }
    f.us += us
    functions.set(key, f)
    const area = areaOf(name, url)
    areas.set(area, (areas.get(area) ?? 0) + us)
  }
  const pct = (us: number) => Math.round((us / busy) * 1000) / 10
  return {
    label,
    file,
    sampledMs: Math.round(total / 1000),
    busyMs: Math.round(busy / 1000),
    functions: [...functions.values()]
      .sort((a, b) => b.us - a.us)
      .slice(0, top)
      .map((f) => ({ name: f.name, where: f.where, selfPct: pct(f.us) })),
    areas: [...areas.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([area, us]) => ({ area, selfPct: pct(us) })),
  }
}

/**
 * The summary of the profile a node process under `--cpu-prof-dir=dir` wrote as it exited, if
 * any. Thread 0 is the process's own; the others are tsx's module-loader thread.
 */
export function summariseProfileIn(label: string, dir: string): ProfileSummary | undefined {
  if (!fs.existsSync(dir)) return undefined
  const file = fs.readdirSync(dir).find((f) => /\.0\.\d+\.cpuprofile$/.test(f))
  return file ? summariseProfile(label, path.join(dir, file)) : undefined
}
