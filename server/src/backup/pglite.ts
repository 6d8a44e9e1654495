// The embedded database is one folder: its backup is PGlite's own tarball of that folder.
import fs from 'node:fs'
import path from 'node:path'
import { BackupError, COUNTS_SQL, timestamp, writeWhole, type Counts } from './common.ts'

/** PGlite writes it on open and removes it on close; a process killed meanwhile leaves it. */
const IN_USE = 'postmaster.pid'

async function open(dataDir: string, loadDataDir?: Blob) {
  const [{ PGlite }, { postgis }] = await Promise.all([
    import('@electric-sql/pglite'),
    import('@electric-sql/pglite-postgis'),
  ])
  return PGlite.create({ dataDir, loadDataDir, extensions: { postgis } })
}

/** PGlite does not lock the folder: a second opener would read, or write, under the server. */
function refuseInUse(dataDir: string) {
  if (fs.existsSync(path.join(dataDir, IN_USE)))
    throw new BackupError(
      `${dataDir} is in use (it holds ${IN_USE}): stop the server first. If none is running ` +
        '(one was killed), `npm run migrate` opens and closes the database, which clears it.',
    )
}

export async function backupPglite(dataDir: string, out: string): Promise<Counts> {
  if (!fs.existsSync(path.join(dataDir, 'PG_VERSION')))
    throw new BackupError(`${dataDir} holds no database (DATA_DIR)`)
  refuseInUse(dataDir)
  const pg = await open(dataDir)
  try {
    // Everything into the data files, so the tarball needs no WAL replay to be whole.
    await pg.query('CHECKPOINT')
    const counts = (await pg.query<Counts>(COUNTS_SQL)).rows[0]!
    const tarball = await pg.dumpDataDir('gzip')
    await writeWhole(out, async (partial) =>
      fs.writeFileSync(partial, Buffer.from(await tarball.arrayBuffer())),
    )
    return counts
  } finally {
    await pg.close()
  }
}

/**
 * Unpacks `file` into a new folder beside DATA_DIR, opens it to check it is whole, then puts it
 * in DATA_DIR's place. A database already there is kept (`--force`) under `<DATA_DIR>.before-restore-<time>`.
 */
export async function restorePglite(
  file: string,
  dataDir: string,
  force: boolean,
): Promise<{ counts: Counts; kept?: string }> {
  const target = path.resolve(dataDir)
  refuseInUse(target)
  const occupied = fs.existsSync(target) && fs.readdirSync(target).length > 0
  if (occupied && !force)
    throw new BackupError(
      `${dataDir} already holds a database: add --force to replace it (it is kept beside, ` +
        `as ${path.basename(target)}.before-restore-<time>)`,
    )
  const stamp = timestamp()
  const staging = `${target}.restoring-${stamp}`
  let counts: Counts
  try {
    const pg = await open(staging, await fs.openAsBlob(file))
    try {
      counts = (await pg.query<Counts>(COUNTS_SQL)).rows[0]!
    } finally {
      await pg.close()
    }
  } catch (e) {
    fs.rmSync(staging, { recursive: true, force: true })
    throw new BackupError(`${file} could not be restored: ${(e as Error).message}`)
  }
  let kept: string | undefined
  if (occupied) {
    kept = `${target}.before-restore-${stamp}`
    fs.renameSync(target, kept)
  } else {
    fs.rmSync(target, { recursive: true, force: true })
  }
  fs.renameSync(staging, target)
  return { counts, kept }
}
