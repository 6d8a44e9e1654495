import './app.css'
import { startCourier } from './courier/courier.ts'
import { applyDocumentLang } from './shared/i18n.ts'
import { renderShell, viewFor } from './shared/shell.ts'

async function start(): Promise<void> {
  applyDocumentLang()
  const view = viewFor(location.pathname)
  const main = renderShell(document.getElementById('app')!, view)
  // The courier's page is the one riders open on the road: it comes with the entry, no second
  // round trip. The other views are their own chunks, and the map library is loaded by each.
  if (view === 'manager') (await import('./manager/manager.ts')).startManager(main)
  else if (view === 'planner') await (await import('./planner/planner.ts')).startPlanner(main)
  else if (view === 'admin') await (await import('./admin/admin.ts')).startAdmin(main)
  else startCourier(main)
}

void start()
