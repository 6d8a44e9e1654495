// npm run backup -- [--out FILE] [--pg-bin DIR]
// npm run restore -- FILE [--force] [--pg-bin DIR]
import path from 'node:path'
import { parseArgs } from 'node:util'
import { ConfigError, loadConfig } from '../config.ts'
import { BackupError, backupKind, describe, timestamp } from './common.ts'
import { backupPglite, restorePglite } from './pglite.ts'
import { backupPostgres, restorePostgres } from './postgres.ts'

const USAGE = `Usage: npm run backup -- [--out FILE] [--pg-bin DIR]
       npm run restore -- FILE [--force] [--pg-bin DIR]

Backs up DATABASE_URL with pg_dump (while the app runs), or the embedded database in DATA_DIR
(with the server stopped), by default to backups/yizhan-<time>.dump or .tar.gz. Restore refuses
a database that already holds data unless --force. --pg-bin names the folder of pg_dump and
pg_restore when the ones found are not of the server's major version.`

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      out: { type: 'string' },
      force: { type: 'boolean', default: false },
      'pg-bin': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  })
  const [command, file, ...extra] = positionals
  const usable =
    (command === 'backup' && !file && !values.force) ||
    (command === 'restore' && file && !values.out)
  if (values.help || !usable || extra.length) {
    console.error(USAGE)
    return values.help ? 0 : 2
  }
  const config = loadConfig()
  const url = config.DATABASE_URL
  const pgBin = values['pg-bin']

  if (command === 'backup') {
    const out =
      values.out ?? path.join('backups', `yizhan-${timestamp()}${url ? '.dump' : '.tar.gz'}`)
    const counts = url
      ? await backupPostgres(url, out, pgBin)
      : await backupPglite(config.DATA_DIR, out)
    console.log(`Backed up to ${describe(out, counts)}`)
    return 0
  }

  const kind = backupKind(file!)
  if (kind === null) throw new BackupError(`${file} is not a backup made by npm run backup`)
  if (kind === 'pglite' && url)
    throw new BackupError(`${file} is a backup of the embedded database: unset DATABASE_URL`)
  if (kind === 'postgres' && !url)
    throw new BackupError(`${file} is a PostgreSQL backup (pg_dump): set DATABASE_URL`)
  if (url) {
    const counts = await restorePostgres(url, file!, values.force, pgBin)
    console.log(`Restored ${describe(file!, counts)} into ${new URL(url).pathname.slice(1)}`)
  } else {
    const { counts, kept } = await restorePglite(file!, config.DATA_DIR, values.force)
    console.log(
      `Restored ${describe(file!, counts)} into ${config.DATA_DIR}` +
        (kept ? `; the database it replaced is in ${kept}` : ''),
    )
  }
  return 0
}

main().then(
  (code) => process.exit(code),
  (err) => {
    if (err instanceof BackupError || err instanceof ConfigError) console.error(err.message)
    else console.error(err)
    process.exit(err instanceof BackupError ? 1 : 2)
  },
)
