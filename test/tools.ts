import { spawnSync } from 'node:child_process'

/**
 * A command-line tool our users check us with (promtool, GDAL). Locally its tests skip when
 * it is not installed; in CI (REQUIRE_TOOLS=1) a missing tool is an error, so nothing is
 * skipped silently.
 */
export function toolAvailable(name: string): boolean {
  const found = spawnSync('sh', ['-c', `command -v ${name}`]).status === 0
  if (!found && process.env.REQUIRE_TOOLS === '1')
    throw new Error(`REQUIRE_TOOLS=1 but ${name} is not installed`)
  return found
}
