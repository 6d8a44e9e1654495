// Renders the app icons for the web app manifest from web/public/favicon.svg with the same
// Chromium the browser tests use: `npx tsx scripts/make-icons.ts` after changing the SVG.
import fs from 'node:fs'
import { chromium } from 'playwright-core'
import { CHROMIUM_ARGS, chromiumPath } from '../test/browser.ts'

const svg = fs.readFileSync(new URL('../web/public/favicon.svg', import.meta.url), 'utf8')
// a maskable icon keeps its picture inside the middle 80 %: the launcher may cut a circle
const ICONS = [
  { file: 'icon-192.png', size: 192, padding: 0, background: 'transparent' },
  { file: 'icon-512.png', size: 512, padding: 0, background: 'transparent' },
  { file: 'icon-maskable-512.png', size: 512, padding: 0.12, background: '#1b6b57' },
  { file: 'apple-touch-icon.png', size: 180, padding: 0, background: '#1b6b57' },
]

const browser = await chromium.launch({ executablePath: chromiumPath()!, args: CHROMIUM_ARGS })
try {
  const page = await browser.newPage()
  for (const icon of ICONS) {
    const inner = Math.round(icon.size * (1 - 2 * icon.padding))
    await page.setViewportSize({ width: icon.size, height: icon.size })
    await page.setContent(
      `<body style="margin:0;display:grid;place-items:center;width:${icon.size}px;` +
        `height:${icon.size}px;background:${icon.background}">` +
        svg.replace('<svg ', `<svg width="${inner}" height="${inner}" `) +
        '</body>',
    )
    await page.screenshot({
      path: new URL(`../web/public/${icon.file}`, import.meta.url).pathname,
      omitBackground: icon.background === 'transparent',
    })
  }
} finally {
  await browser.close()
}
