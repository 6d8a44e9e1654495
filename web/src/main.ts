import './app.css'
import { applyDocumentLang } from './shared/i18n.ts'
import { renderShell, viewFor } from './shared/shell.ts'

async function start(): Promise<void> {
  applyDocumentLang()
  const view = viewFor(location.pathname)
  const main = renderShell(document.getElementById('app')!, view)
  // each view is its own chunk: the manager's phone does not download the map library
  if (view === 'manager') (await import('./manager/manager.ts')).startManager(main)
  else if (view === 'planner') await (await import('./planner/planner.ts')).startPlanner(main)
  else if (view === 'admin') await (await import('./admin/admin.ts')).startAdmin(main)
  else await (await import('./courier/courier.ts')).startCourier(main)
}

void start()
