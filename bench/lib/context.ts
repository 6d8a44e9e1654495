import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { ensureDatabase } from './database.ts'
import { spawnServer } from './server.ts'
import type { BenchContext, BenchDatabase, BenchOptions } from './types.ts'

export const BENCH_PASSWORD = 'bench-demo-password'

export interface RunnerContext extends BenchContext {
  /** Runs every deferred cleanup, last first; errors are logged, not thrown. */
  close(): Promise<void>
}

export function createContext(
  options: BenchOptions,
  adminUrl: string,
  profileDir: string | undefined,
): RunnerContext {
  const tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'yizhan-bench-'))
  const cleanups: (() => unknown)[] = [() => fs.rmSync(tmpDir, { recursive: true, force: true })]
  const databases = new Map<number, Promise<BenchDatabase>>()
  const started = performance.now()
  const log = (message: string) =>
    console.error(
      `[bench ${((performance.now() - started) / 1000).toFixed(0).padStart(4)} s] ${message}`,
    )

  const ctx: RunnerContext = {
    options,
    adminUrl,
    password: BENCH_PASSWORD,
    tmpDir,
    log,
    profileDir: options.cpuProf ? profileDir : undefined,
    database(stations) {
      // One creation per size even when two scenarios ask at once.
      let db = databases.get(stations)
      if (!db) {
        db = ensureDatabase({ adminUrl, stations, password: BENCH_PASSWORD, logDir: tmpDir, log })
        databases.set(stations, db)
        db.catch(() => databases.delete(stations))
      }
      return db
    },
    async startServer(opts) {
      const server = await spawnServer({
        ...opts,
        password: BENCH_PASSWORD,
        logDir: tmpDir,
        profileDir: ctx.profileDir,
      })
      ctx.defer(() => server.stop())
      return server
    },
    defer(cleanup) {
      cleanups.push(cleanup)
    },
    async close() {
      while (cleanups.length) {
        try {
          await cleanups.pop()!()
        } catch (e) {
          log(`cleanup failed: ${(e as Error).message}`)
        }
      }
    },
  }
  return ctx
}
