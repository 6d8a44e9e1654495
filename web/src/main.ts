import 'maplibre-gl/dist/maplibre-gl.css'
import './app.css'
import { getMeta } from './api.ts'
import { applyDocumentLang } from './i18n.ts'
import { createMap } from './map.ts'
import { renderShell } from './ui.ts'

async function start(): Promise<void> {
  applyDocumentLang()
  const shell = renderShell(document.getElementById('app')!)
  // the map waits for meta (at most a few seconds) so that it starts with the right basemap
  const meta = await getMeta()
  if (meta) shell.setStationCount(meta.stations)
  createMap(shell.mapContainer, meta)
}

void start()
