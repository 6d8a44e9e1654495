// npm run import -- stations FILE [--crs wgs84|gcj02|bd09] [--dry-run] [--partial]
import fs from 'node:fs'
import path from 'node:path'
import { parseArgs } from 'node:util'
import cliProgress from 'cli-progress'
import { CRSES, type Crs } from '../../../contract/crs.ts'
import { ConfigError, loadConfig } from '../config.ts'
import { openDatabase } from '../db/knex.ts'
import { migrateLatest } from '../db/migrate.ts'
import { HttpError } from '../errors.ts'
import { readFile, type FileKind } from './parse.ts'
import { importStations } from './stations.ts'

const USAGE = `Usage: npm run import -- stations FILE [--crs wgs84|gcj02|bd09] [--dry-run] [--partial]

Imports stations from a .csv, .xlsx or .geojson file into DATABASE_URL (or the embedded
database in DATA_DIR), as the API's POST /api/v1/imports/stations does for an unscoped admin.`

const KINDS: Record<string, FileKind> = {
  '.csv': 'csv',
  '.xlsx': 'xlsx',
  '.geojson': 'geojson',
  '.json': 'geojson',
}

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      crs: { type: 'string', default: 'wgs84' },
      'dry-run': { type: 'boolean', default: false },
      partial: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h' },
    },
  })
  const [what, file] = positionals
  const kind = file ? KINDS[path.extname(file).toLowerCase()] : undefined
  if (values.help || what !== 'stations' || !file || !kind || !CRSES.includes(values.crs as Crs)) {
    console.error(USAGE)
    return values.help ? 0 : 2
  }
  const config = loadConfig()
  const db = await openDatabase({
    databaseUrl: config.DATABASE_URL,
    dataDir: config.DATA_DIR,
    statementTimeoutMs: config.DB_STATEMENT_TIMEOUT_MS,
  })
  try {
    if (db.backend === 'pglite') await migrateLatest(db.knex)
    const started = performance.now()
    const rows = await readFile(fs.readFileSync(file), kind)
    console.log(`${rows.rows.length} rows read; checking…`)
    const bar = new cliProgress.SingleBar(
      { format: '  writing {bar} {percentage}% | {value}/{total}', stream: process.stdout },
      cliProgress.Presets.shades_classic,
    )
    const result = await importStations(db.knex, { id: null, region: {} }, rows, {
      crs: values.crs as Crs,
      dryRun: values['dry-run'],
      partial: values.partial,
      onProgress: (done, total) => {
        if (done === 0 || !bar.isActive) bar.start(total, done)
        bar.update(done)
      },
    })
    bar.stop()
    for (const e of result.errors) console.log(`row ${e.row}, ${e.column}: ${e.message}`)
    const seconds = ((performance.now() - started) / 1000).toFixed(1)
    console.log(
      `${result.written ? 'Imported' : 'Not written'}: ${result.created} created, ` +
        `${result.updated} updated, ${result.unchanged} unchanged, ` +
        `${result.errors.length} errors (${seconds} s)${result.dry_run ? ', dry run' : ''}`,
    )
    return result.errors.length && !result.written ? 1 : 0
  } finally {
    await db.close()
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    if (err instanceof HttpError) console.error(err.detail ?? err.title)
    else if (err instanceof ConfigError) console.error(err.message)
    else console.error(err)
    process.exit(2)
  },
)
