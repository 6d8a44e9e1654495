import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { freePort, waitForPort } from './freePort.ts'

/** Whether redis-server can be started here; REQUIRE_REDIS=1 turns its absence into a failure. */
export function canStartRedis(): boolean {
  const found = spawnSync('redis-server', ['--version']).status === 0
  if (!found && process.env.REQUIRE_REDIS === '1')
    throw new Error('REQUIRE_REDIS=1 but redis-server is not on the PATH')
  return found
}

/**
 * A throwaway Redis of the test's own on a free port, without persistence: never the machine's
 * shared one. `stop()` kills it by its PID; `restart()` starts it again on the same port, empty.
 */
export async function startRedis(port?: number) {
  const listenOn = port ?? (await freePort())
  let child: ChildProcess | undefined

  async function start() {
    child = spawn(
      'redis-server',
      ['--port', String(listenOn), '--save', '', '--appendonly', 'no'],
      {
        stdio: 'ignore',
      },
    )
    await waitForPort(listenOn)
  }

  async function stop() {
    const running = child
    child = undefined
    if (!running || running.exitCode !== null) return
    const exited = new Promise((r) => running.once('exit', r))
    running.kill('SIGKILL')
    await exited
  }

  await start()
  return {
    url: `redis://127.0.0.1:${listenOn}`,
    port: listenOn,
    get pid() {
      return child?.pid
    },
    stop,
    async restart() {
      await stop()
      await start()
    },
  }
}
