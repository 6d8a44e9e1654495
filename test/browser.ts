import { execFileSync } from 'node:child_process'
import { accessSync, constants } from 'node:fs'
import { chromium, type Browser, type Page } from 'playwright-core'

export const BASE_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-quic',
  '--no-first-run',
  '--disable-component-update',
  '--disable-sync',
]

// MapLibre needs WebGL, and with --disable-gpu only SwiftShader (software GL behind ANGLE) is left.
// Debian's Chromium offers it anyway, but newer Chrome builds refuse the automatic software
// fallback unless it is allowed explicitly. --disable-software-rasterizer would take WebGL away.
const WEBGL_ARGS = ['--use-angle=swiftshader', '--enable-unsafe-swiftshader']

export const CHROMIUM_ARGS = [...BASE_ARGS, ...WEBGL_ARGS]

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK)
    return true
  } catch {
    return false
  }
}

/** The Chromium to drive: CHROMIUM_PATH, else /usr/bin/chromium, else whatever `which` finds. */
export function chromiumPath(): string | null {
  const configured = process.env.CHROMIUM_PATH
  if (configured) {
    // a path given on purpose must not be swapped silently for another browser
    if (!isExecutable(configured)) throw new Error(`CHROMIUM_PATH=${configured} is not executable`)
    return configured
  }
  if (isExecutable('/usr/bin/chromium')) return '/usr/bin/chromium'
  for (const name of ['chromium', 'chromium-browser']) {
    try {
      const found = execFileSync('which', [name], { encoding: 'utf8' }).trim()
      if (found && isExecutable(found)) return found
    } catch {
      // not on PATH: try the next name
    }
  }
  return null
}

/**
 * Whether browser tests can run. Locally they skip without Chromium; in CI (REQUIRE_BROWSER=1)
 * a missing browser is an error, so nothing is skipped silently.
 */
export function browserAvailable(): boolean {
  const path = chromiumPath()
  if (!path && process.env.REQUIRE_BROWSER === '1') {
    throw new Error(
      'REQUIRE_BROWSER=1 but no Chromium was found: set CHROMIUM_PATH or install chromium',
    )
  }
  return path !== null
}

export async function launchBrowser(): Promise<Browser> {
  const executablePath = chromiumPath()
  if (!executablePath) throw new Error('No Chromium found: set CHROMIUM_PATH')
  return chromium.launch({ executablePath, headless: true, args: CHROMIUM_ARGS })
}

/** Collects console errors and uncaught exceptions of a page, from now on. */
export function collectConsoleErrors(page: Page): string[] {
  const errors: string[] = []
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(msg.text())
  })
  page.on('pageerror', (err) => errors.push(`${err.name}: ${err.message}`))
  return errors
}
