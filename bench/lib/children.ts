import type { ChildProcess } from 'node:child_process'

// Last resort when the runner dies without its cleanup: no child outlives it.
const children = new Set<ChildProcess>()
process.on('exit', () => children.forEach((c) => c.kill('SIGKILL')))

/** Kills `child` if this process exits while it still runs. */
export function track(child: ChildProcess): void {
  children.add(child)
  child.once('exit', () => children.delete(child))
}
