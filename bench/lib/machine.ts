import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { execFileSync } from 'node:child_process'
import { withClient } from './database.ts'
import { PGBENCH } from './pgbench.ts'
import { ROOT, SERVER_DIR } from './server.ts'

const packageVersion = (name: string) =>
  (
    JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules', name, 'package.json'), 'utf8')) as {
      version: string
    }
  ).version

/** What the figures were measured on; goes into the results file. */
export async function describeMachine(adminUrl: string) {
  const pgInfo = await withClient(adminUrl, async (c) => {
    const setting = async (name: string) =>
      (await c.query<{ v: string }>(`SELECT current_setting($1) AS v`, [name])).rows[0]!.v
    const postgis = await c.query<{ v: string | null }>(
      `SELECT default_version AS v FROM pg_available_extensions WHERE name = 'postgis'`,
    )
    return {
      postgresql: await setting('server_version'),
      postgis: postgis.rows[0]?.v ?? null,
      settings: {
        max_connections: await setting('max_connections'),
        shared_buffers: await setting('shared_buffers'),
        work_mem: await setting('work_mem'),
        jit: await setting('jit'),
      },
    }
  })
  return {
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    kernel: `${os.type()} ${os.release()}`,
    loadAverageAtStart: os.loadavg().map((l) => Math.round(l * 100) / 100),
    node: process.version,
    ...pgInfo,
    pgbench: execFileSync(PGBENCH, ['--version'], { encoding: 'utf8' }).trim(),
    autocannon: packageVersion('autocannon'),
    /** open_now depends on the hour: B2's selectivity does too. */
    startedAt: new Date().toISOString(),
    timeZoneOfStations: 'Asia/Shanghai',
    /** The server measured, from this checkout (BENCH_SERVER_DIR: another one's): no machine's path. */
    serverDir: path.relative(ROOT, SERVER_DIR) || '.',
    layout:
      'load generator and server are separate processes on the same cores as PostgreSQL; ' +
      'every step reports the CPU each used',
  }
}

export type MachineInfo = Awaited<ReturnType<typeof describeMachine>>
