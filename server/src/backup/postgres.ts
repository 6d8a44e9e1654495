// PostgreSQL's own tools: pg_dump is consistent while the app runs, pg_restore all or nothing.
import { execFile, spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import pg from 'pg'
import { BackupError, COUNTS_SQL, writeWhole, type Counts } from './common.ts'

const exec = promisify(execFile)

/**
 * pg_dump or pg_restore of the server's major version: an older pg_dump refuses a newer server,
 * and an older pg_restore cannot read a newer one's archive. `--pg-bin` alone when given.
 */
function findTool(name: 'pg_dump' | 'pg_restore' | 'psql', major: number, pgBin?: string): string {
  const candidates: string[] = []
  if (pgBin) candidates.push(path.join(pgBin, name))
  else {
    const pgConfig = spawnSync('pg_config', ['--bindir'], { encoding: 'utf8' })
    if (pgConfig.status === 0) candidates.push(path.join(pgConfig.stdout.trim(), name))
    // Debian and Ubuntu install each major version's tools side by side here.
    candidates.push(name, `/usr/lib/postgresql/${major}/bin/${name}`)
  }
  const seen: string[] = []
  for (const tool of candidates) {
    const version = spawnSync(tool, ['--version'], { encoding: 'utf8' })
    const found = /\(PostgreSQL\) (\d+)/.exec(version.stdout ?? '')?.[1]
    if (Number(found) === major) return tool
    if (found) seen.push(`${tool} is ${found}`)
  }
  throw new BackupError(
    `No ${name} of PostgreSQL ${major}, the server's version${seen.length ? ` (${seen.join('; ')})` : ''}: ` +
      `install its client tools (Debian: postgresql-client-${major}) or name their folder with --pg-bin DIR`,
  )
}

/** The URL for libpq without its password, which goes in the environment instead of `ps`. */
function libpq(url: string): { dbname: string; env: NodeJS.ProcessEnv } {
  const u = new URL(url)
  const password = decodeURIComponent(u.password)
  u.password = ''
  return {
    dbname: u.toString(),
    env: password ? { ...process.env, PGPASSWORD: password } : process.env,
  }
}

async function run(tool: string, args: string[], env: NodeJS.ProcessEnv) {
  try {
    await exec(tool, args, { env, maxBuffer: 64 << 20 })
  } catch (e) {
    const err = e as { stderr?: string; message: string }
    throw new BackupError(`${path.basename(tool)} failed: ${(err.stderr || err.message).trim()}`)
  }
}

async function withClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    return await fn(client)
  } finally {
    await client.end()
  }
}

async function serverMajor(client: pg.Client): Promise<number> {
  const { rows } = await client.query<{ v: number }>(
    "SELECT current_setting('server_version_num')::int AS v",
  )
  return Math.floor(rows[0]!.v / 10000)
}

export async function backupPostgres(url: string, out: string, pgBin?: string): Promise<Counts> {
  return withClient(url, async (client) => {
    const pgDump = findTool('pg_dump', await serverMajor(client), pgBin)
    const { dbname, env } = libpq(url)
    // pg_dump reads the snapshot the counts were taken in: the summary describes the file exactly.
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY')
    const { rows } = await client.query<{ snapshot: string }>(
      'SELECT pg_export_snapshot() AS snapshot',
    )
    const counts = (await client.query<Counts>(COUNTS_SQL)).rows[0]!
    await writeWhole(out, (partial) =>
      run(
        pgDump,
        [
          '--format=custom',
          `--snapshot=${rows[0]!.snapshot}`,
          `--file=${partial}`,
          `--dbname=${dbname}`,
        ],
        env,
      ),
    )
    await client.query('COMMIT')
    return counts
  })
}

/** Tables of our own, not those of an extension (PostGIS's spatial_ref_sys). */
const USER_TABLES_SQL = `
  SELECT count(*)::int AS n FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
    AND n.nspname NOT LIKE 'pg_toast%'
    AND NOT EXISTS (SELECT 1 FROM pg_depend d
      WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')`

/**
 * What `--force` replaces: every table (with its partitions, sequences and triggers) and
 * function of ours, not an extension's. pg_restore's own --clean cannot drop a partitioned
 * table's constraints from its partitions.
 */
const DROP_OURS_SQL = `DO $$
DECLARE r record;
BEGIN
  FOR r IN SELECT c.oid::regclass AS name FROM pg_class c
             JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind IN ('r', 'p', 'v', 'm') AND NOT c.relispartition
              AND n.nspname NOT IN ('pg_catalog', 'information_schema')
              AND n.nspname NOT LIKE 'pg_toast%'
              AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass
                                AND d.objid = c.oid AND d.deptype = 'e')
  LOOP
    EXECUTE format('DROP %s IF EXISTS %s CASCADE',
      (SELECT CASE relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW' ELSE 'TABLE' END
         FROM pg_class WHERE oid = r.name), r.name);
  END LOOP;
  FOR r IN SELECT p.oid::regprocedure AS name FROM pg_proc p
             JOIN pg_namespace n ON n.oid = p.pronamespace
            WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
              AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass
                                AND d.objid = p.oid AND d.deptype = 'e')
  LOOP
    EXECUTE format('DROP ROUTINE IF EXISTS %s CASCADE', r.name);
  END LOOP;
END $$`

/** PostGIS in the target: whether we may change it, and its tables (`public spatial_ref_sys`). */
const POSTGIS_SQL = `
  SELECT pg_has_role(extowner, 'USAGE') AS owned,
    array(SELECT n.nspname || ' ' || c.relname FROM unnest(extconfig) AS t(oid)
      JOIN pg_class c ON c.oid = t.oid JOIN pg_namespace n ON n.oid = c.relnamespace) AS config
  FROM pg_extension WHERE extname = 'postgis'`

/** The extension's own entries in `pg_restore --list`, not the objects that use its types. */
const POSTGIS_ITSELF = /^\d+; \d+ \d+ (EXTENSION - postgis|COMMENT - EXTENSION postgis) /

async function requirePostgis(client: pg.Client) {
  await client.query('BEGIN')
  try {
    await client.query('CREATE EXTENSION postgis')
  } catch (e) {
    throw new BackupError(
      `PostGIS cannot be created in this database (${(e as Error).message}): install PostGIS ` +
        'on its server and have a superuser run CREATE EXTENSION postgis in it first',
    )
  } finally {
    await client.query('ROLLBACK')
  }
}

export async function restorePostgres(
  url: string,
  file: string,
  force: boolean,
  pgBin?: string,
): Promise<Counts> {
  return withClient(url, async (client) => {
    const pgRestore = findTool('pg_restore', await serverMajor(client), pgBin)
    const { rows } = await client.query<{ n: number }>(USER_TABLES_SQL)
    if (rows[0]!.n > 0 && !force)
      throw new BackupError(
        `The database already has ${rows[0]!.n} tables: restore into a new, empty one, or add ` +
          '--force to replace what it holds with the backup',
      )
    const args = ['--no-owner', '--no-privileges']
    const { rows: postgis } = await client.query<{ owned: boolean; config: string[] }>(POSTGIS_SQL)
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'yizhan-restore-'))
    try {
      if (!postgis[0]) {
        // The backup creates it; asking first gives a clearer answer than pg_restore's.
        await requirePostgis(client)
      } else if (!postgis[0].owned) {
        // Made for us by a superuser: replacing it, commenting on it or writing its tables needs
        // its owner. It stays as it is, and the backup's objects use it.
        const own = (l: string) =>
          POSTGIS_ITSELF.test(l) || postgis[0]!.config.some((t) => l.includes(` TABLE DATA ${t} `))
        const { stdout } = await exec(pgRestore, ['--list', file], { maxBuffer: 64 << 20 })
        const list = path.join(tmp, 'list')
        fs.writeFileSync(
          list,
          stdout
            .split('\n')
            .filter((l) => !own(l))
            .join('\n'),
        )
        args.push(`--use-list=${list}`)
      }
      const { dbname, env } = libpq(url)
      if (rows[0]!.n === 0) {
        await run(
          pgRestore,
          [...args, '--single-transaction', '--exit-on-error', `--dbname=${dbname}`, file],
          env,
        )
      } else {
        // Dropping ours and restoring the backup is one transaction: all of it, or nothing.
        const psql = findTool('psql', await serverMajor(client), pgBin)
        const script = path.join(tmp, 'restore.sql')
        await run(pgRestore, [...args, `--file=${script}`, file], env)
        await run(
          psql,
          [
            '-X',
            '-q',
            '--single-transaction',
            '-v',
            'ON_ERROR_STOP=1',
            '-c',
            DROP_OURS_SQL,
            '-f',
            script,
            dbname,
          ],
          env,
        )
      }
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true })
    }
    return (await client.query<Counts>(COUNTS_SQL)).rows[0]!
  })
}
