/** The shapes every scenario (bench/scenarios/*, bench/live/run.ts) shares with the runner. */

export const SCENARIO_IDS = ['B1', 'B2', 'B3', 'B4', 'B5', 'B6', 'B7', 'B8', 'B9'] as const
export type ScenarioId = (typeof SCENARIO_IDS)[number]

/** B4's steps, which `--only` may also name one by one. */
export const LIVE_STEPS = ['B4a', 'B4d', 'B4b', 'B4c'] as const
export type LiveStep = (typeof LIVE_STEPS)[number]

export interface BenchOptions {
  /** Stations in the main bench database (B1, B2, B3, B5, B9). */
  stations: number
  /** Tiny sizes and second-long steps: proves the scripts run, judges no budget. */
  smoke: boolean
  /** Seconds each measured step runs. */
  durationS: number
  /** Seconds of unmeasured load before a system's first step. */
  warmupS: number
  only: ReadonlySet<ScenarioId>
  /** The steps of B4 to run: all of them unless `--only` named some. */
  liveSteps: ReadonlySet<LiveStep>
  /** Start every server under `node --cpu-prof` and summarise the profiles in the results. */
  cpuProf: boolean
}

/** CPU time over one measured step, in percent of one core (the machine has `cores` × 100 %). */
export interface CpuReport {
  seconds: number
  /** The load generator: this process (autocannon, in-memory index) or pgbench. */
  generator: number
  /** The server child process (node); for embedded PGlite this includes the database. */
  server: number
  /** PostgreSQL backends connected to the bench database. */
  database: number
  /** Everything else busy on the machine meanwhile (other users, the OS). */
  other: number
}

export interface Measurement {
  /** What was varied: 'c=16', 'z12', 'Changsha cold 1', … */
  case: string
  /** Who answered: 'api', 'sql', 'memory', 'socket.io', 'ws', … */
  system: string
  qps?: number
  p50Ms?: number
  p99Ms?: number
  meanMs?: number
  /** One-off operations (a coverage request, a start-up). */
  wallMs?: number
  /** Requests, transactions or lookups completed. */
  count?: number
  /** Failed requests (non-2xx, socket errors) or transactions. */
  errors?: number
  cpu?: CpuReport
  /** CPU milliseconds per request or transaction: steadier than QPS on a shared machine. */
  cpuMsPerOp?: { generator: number; server: number; database: number }
  extra?: Record<string, number | string | boolean | null>
}

export interface Ratio {
  name: string
  value: number | null
}

export interface Budget {
  /** As the issue states it, e.g. 'API QPS ≥ 50 % of SQL QPS at c=16'. */
  name: string
  measured: number | null
  limit: number
  op: '<=' | '>='
  unit: string
  /** null: not judged (smoke run, or the measurement is missing). */
  pass: boolean | null
}

export interface ProfileSummary {
  /** Which server process, e.g. 'B1'. */
  label: string
  file: string
  sampledMs: number
  /** sampledMs minus (idle): the percentages below are of this. */
  busyMs: number
  /** Self time by function, busiest first, `(garbage collector)` and `(program)` included. */
  functions: { name: string; where: string; selfPct: number }[]
  /** Self time by where the code lives: a package, server/src/…, node:internal, (gc), (idle). */
  areas: { area: string; selfPct: number }[]
}

export interface ScenarioResult {
  /** 'B1', 'B4a', … */
  id: string
  title: string
  measurements: Measurement[]
  ratios: Ratio[]
  budgets: Budget[]
  notes: string[]
  /** Set when the scenario failed; what it measured before that is kept. */
  error?: string
  profiles?: ProfileSummary[]
}

export interface BenchDatabase {
  name: string
  url: string
  stations: number
}

export interface ServerOptions {
  /** Names the server in logs and profile files, e.g. 'B1'. */
  label: string
  /** The native PostGIS database; omitted: embedded PGlite under env.DATA_DIR. */
  database?: BenchDatabase
  /** Extra environment for the server (config.ts names), e.g. { DATA_DIR, SEED_STATIONS }. */
  env?: Record<string, string>
  /** How long to wait for /readyz; embedded first starts seed and need longer. */
  readyTimeoutMs?: number
}

export interface ServerHandle {
  label: string
  url: string
  pid: number
  /** From spawn until /readyz answered 200. */
  startupMs: number
  /** The server's stdout and stderr, for reading after a failure. */
  logFile: string
  /** SIGTERM and wait (SIGKILL after 15 s); returns the profile summary under --cpu-prof. */
  stop(): Promise<ProfileSummary | undefined>
}

export interface BenchContext {
  options: BenchOptions
  /** The admin connection (BENCH_DATABASE_URL); bench databases are created through it. */
  adminUrl: string
  /** SEED_DEMO_PASSWORD of every bench database and embedded server (planner, manager001, …). */
  password: string
  /** Removed when the run ends. */
  tmpDir: string
  log(message: string): void
  /** Under --cpu-prof: where profiles go (the servers' and those of other node processes). */
  profileDir?: string
  /** A migrated, seeded database with this many stations: created once, reused by later runs. */
  database(stations: number): Promise<BenchDatabase>
  /** The real server (server/src/index.ts) as a child process; stopped at exit at the latest. */
  startServer(options: ServerOptions): Promise<ServerHandle>
  /** Runs at the end of the run, also on failure or Ctrl-C; last registered runs first. */
  defer(cleanup: () => unknown): void
}
