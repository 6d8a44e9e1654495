import fs from 'node:fs'
import path from 'node:path'

/** A refusal or failure the operator can act on: printed as is, without a stack. */
export class BackupError extends Error {}

/** What a backup holds, printed so the operator can see at a glance it is the right one. */
export interface Counts {
  stations: number
  status_reports: number
}

export const COUNTS_SQL = `SELECT (SELECT count(*) FROM stations)::int AS stations,
  (SELECT count(*) FROM status_reports)::int AS status_reports`

/** `20261206-103000`: sorts by time and is safe in a file name. */
export const timestamp = (d = new Date()) =>
  d.toISOString().slice(0, 19).replace(/[-:]/g, '').replace('T', '-')

/** Which backend made a backup file, from its first bytes. */
export function backupKind(file: string): 'pglite' | 'postgres' | null {
  let head: Buffer
  try {
    const fd = fs.openSync(file, 'r')
    head = Buffer.alloc(5)
    fs.readSync(fd, head, 0, 5, 0)
    fs.closeSync(fd)
  } catch (e) {
    throw new BackupError(`Cannot read ${file}: ${(e as Error).message}`)
  }
  if (head.toString('latin1') === 'PGDMP') return 'postgres' // pg_dump's custom format
  if (head[0] === 0x1f && head[1] === 0x8b) return 'pglite' // gzip: a PGlite data folder
  return null
}

/**
 * Writes `file` through `write(partial)` and renames it into place only when that succeeded, so
 * a file under the final name is always a whole backup.
 */
export async function writeWhole(file: string, write: (partial: string) => Promise<void>) {
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true })
  const partial = `${file}.partial`
  try {
    await write(partial)
    fs.renameSync(partial, file)
  } catch (e) {
    fs.rmSync(partial, { force: true })
    throw e
  }
}

export function describe(file: string, counts: Counts): string {
  const bytes = fs.statSync(file).size
  const size =
    bytes < 1 << 20 ? `${Math.ceil(bytes / 1024)} KiB` : `${(bytes / (1 << 20)).toFixed(1)} MiB`
  return `${file} (${size}): ${counts.stations} stations, ${counts.status_reports} status reports`
}
