// `npm start` on a fresh clone: build the web app once if it has not been built.
import { existsSync } from 'node:fs'
import { execSync } from 'node:child_process'

if (!existsSync(new URL('../web/dist/index.html', import.meta.url))) {
  console.log('Building the web app (first start only)…')
  execSync('npm run build:web', { stdio: 'inherit' })
}
