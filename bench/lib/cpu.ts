import fs from 'node:fs'
import { execFileSync } from 'node:child_process'
import type { CpuReport } from './types.ts'

const TICKS_PER_S = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100
  } catch {
    return 100
  }
})()

/** The CPU a step used per completed operation, in ms. */
export function perOp(cpu: CpuReport, ops: number) {
  const ms = (pct: number) =>
    ops ? Math.round(((pct / 100) * cpu.seconds * 1e6) / ops) / 1000 : NaN
  return { generator: ms(cpu.generator), server: ms(cpu.server), database: ms(cpu.database) }
}

/** utime + stime of a process in seconds, or undefined once it is gone. */
export function processCpuSeconds(pid: number): number | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8')
    // The command name (field 2) may hold spaces; the numeric fields follow its ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_S
  } catch {
    return undefined
  }
}

/**
 * Waits until a process is idle (under 5 % of a core for 200 ms), at most maxMs: requests a
 * load generator abandoned at the end of a step must not bill the next step.
 */
export async function settle(pid: number, maxMs = 15_000): Promise<void> {
  const end = performance.now() + maxMs
  let last = processCpuSeconds(pid)
  while (last !== undefined && performance.now() < end) {
    await new Promise((r) => setTimeout(r, 200))
    const now = processCpuSeconds(pid)
    if (now === undefined || now - last < 0.01) return
    last = now
  }
}

/** Busy seconds of all cores together, from /proc/stat. */
function machineBusySeconds(): number {
  const line = fs.readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!
  const [user, nice, system, , , irq, softirq, steal] = line.split(/\s+/).slice(1).map(Number)
  return (user! + nice! + system! + irq! + softirq! + steal!) / TICKS_PER_S
}

export interface CpuTargets {
  /** Omitted: this process (autocannon and the in-memory index run in it). */
  generatorPid?: number
  serverPid?: number
  /** Backends whose process title names this database count as the database. */
  database?: string
}

/**
 * Measures who used the CPU during a step. Backends come and go (pgbench opens its own), so
 * they are polled every 200 ms and each one's last reading counts; the few ms a backend
 * spends after its last poll are missed.
 */
export function startCpu(targets: CpuTargets): { stop(): CpuReport } {
  const started = performance.now()
  const self = targets.generatorPid === undefined ? process.cpuUsage() : undefined
  const generator0 =
    targets.generatorPid === undefined ? 0 : (processCpuSeconds(targets.generatorPid) ?? 0)
  const server0 = targets.serverPid === undefined ? 0 : (processCpuSeconds(targets.serverPid) ?? 0)
  const machine0 = machineBusySeconds()
  let generatorLast = generator0

  // pid → [cpu at first sight, cpu at last sight]; a backend born during the step started at 0.
  const backends = new Map<number, [number, number]>()
  const notBackend = new Set<number>()
  const title = targets.database ? ` ${targets.database} ` : undefined
  let first = true
  const poll = () => {
    if (targets.generatorPid !== undefined) {
      generatorLast = processCpuSeconds(targets.generatorPid) ?? generatorLast
    }
    if (!title) return
    for (const entry of fs.readdirSync('/proc')) {
      const pid = Number(entry)
      if (!Number.isInteger(pid) || notBackend.has(pid)) continue
      const known = backends.get(pid)
      if (!known) {
        let cmdline: string
        try {
          cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8')
        } catch {
          continue
        }
        // A backend fresh from fork still shows the postmaster's command line: look again later.
        if (!cmdline.includes('postgres')) notBackend.add(pid)
        if (!cmdline.startsWith('postgres: ') || !cmdline.includes(title)) continue
      }
      const cpu = processCpuSeconds(pid)
      if (cpu === undefined) continue
      if (known) known[1] = cpu
      else backends.set(pid, [first ? cpu : 0, cpu])
    }
    first = false
  }
  poll()
  const timer = setInterval(poll, 200)

  return {
    stop() {
      clearInterval(timer)
      poll()
      const seconds = (performance.now() - started) / 1000
      const pct = (s: number) => Math.round((s / seconds) * 1000) / 10
      let generator: number
      if (self) {
        const used = process.cpuUsage(self)
        generator = (used.user + used.system) / 1e6
      } else {
        generator = generatorLast - generator0
      }
      const server =
        targets.serverPid === undefined
          ? 0
          : (processCpuSeconds(targets.serverPid) ?? server0) - server0
      let database = 0
      for (const [from, to] of backends.values()) database += to - from
      const machine = machineBusySeconds() - machine0
      return {
        seconds: Math.round(seconds * 10) / 10,
        generator: pct(generator),
        server: pct(server),
        database: pct(database),
        other: pct(Math.max(0, machine - generator - server - database)),
      }
    },
  }
}
