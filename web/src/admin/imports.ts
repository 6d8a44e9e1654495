import type { GeoJSONSource } from 'maplibre-gl'
import { CRSES, type Crs } from '../../../contract/crs.ts'
import { API, ProblemError } from '../shared/api.ts'
import { button, el } from '../shared/dom.ts'
import { t } from '../shared/i18n.ts'
import type { StationMap } from '../shared/map.ts'
import {
  importDemandUrl,
  importStationsUrl,
  uploadFile,
  type DemandImportResult,
  type ImportResult,
} from './api.ts'
import { field, select, status, table, textInput } from './form.ts'
import type { Section } from './admin.ts'

const PREVIEW = 'import-preview'

const problem = (err: unknown) =>
  err instanceof ProblemError ? err.detail || err.title : String(err)

/** Upload, check (dry run) with every row error and the stations on the map, then import. */
export class Imports implements Section {
  readonly element = el('section', 'admin-section admin-imports')
  private readonly file = textInput('file', '', 'file')
  private readonly crs = select('crs', [])
  private readonly progress = el('progress', 'admin-progress')
  private readonly note = status()
  private readonly result = el('div', 'admin-result')
  private checked: ImportResult | null = null

  constructor(private readonly map: StationMap) {
    this.file.accept = '.csv,.xlsx,.geojson,.json'
    this.file.addEventListener('change', () => {
      this.checked = null
      this.renderResult()
    })
    this.progress.hidden = true
  }

  open(): void {
    this.render()
  }

  close(): void {
    this.showOnMap(null)
  }

  private render(): void {
    const a = t().admin
    const crs = this.crs.value
    this.crs.replaceChildren(
      ...CRSES.map((c) => Object.assign(el('option', '', a.crses[c]), { value: c })),
    )
    this.crs.value = crs || 'wgs84'
    const check = button('primary-button', a.check, () => void this.send(true))
    const exports = el(
      'p',
      'admin-actions',
      Object.assign(el('a', 'secondary-button', 'CSV'), { href: `${API}/exports/stations.csv` }),
      Object.assign(el('a', 'secondary-button', 'Excel'), { href: `${API}/exports/stations.xlsx` }),
    )
    this.element.replaceChildren(
      el('h3', '', a.importTitle),
      el('p', 'muted', a.importIntro),
      el('div', 'admin-row', field(a.file, this.file), field(a.crs, this.crs)),
      el('div', 'admin-actions', check),
      this.progress,
      this.note,
      this.result,
      el('h3', '', a.exportTitle),
      el('p', 'muted', a.exportHint),
      exports,
      this.demandForm(),
    )
    this.renderResult()
  }

  private async send(dryRun: boolean): Promise<void> {
    const a = t().admin
    const file = this.file.files?.[0]
    if (!file) return
    this.progress.hidden = false
    this.progress.removeAttribute('value')
    this.note.textContent = dryRun ? a.checking : a.importing
    try {
      const result = await uploadFile<ImportResult>(
        importStationsUrl(this.crs.value as Crs, dryRun),
        file,
        (sent, total) => {
          // the upload first; the check that follows has no measure, so the bar just runs
          if (sent < total) {
            this.progress.max = total
            this.progress.value = sent
            this.note.textContent = a.uploading(Math.round((100 * sent) / total))
          } else {
            this.progress.removeAttribute('value')
            this.note.textContent = dryRun ? a.checking : a.importing
          }
        },
      )
      this.checked = dryRun ? result : null
      this.note.textContent = result.written
        ? `${a.imported} ${a.result(result.created, result.updated, result.unchanged)}`
        : ''
      if (result.written) this.map.reloadStations()
      this.renderResult(result)
    } catch (err) {
      this.note.textContent = a.failed + problem(err)
    } finally {
      this.progress.hidden = true
    }
  }

  private renderResult(result: ImportResult | null = this.checked): void {
    const a = t().admin
    if (!result) {
      this.result.replaceChildren()
      this.showOnMap(null)
      return
    }
    const parts: Node[] = [
      el('p', 'admin-summary', a.result(result.created, result.updated, result.unchanged)),
    ]
    if (result.errors.length) {
      const message = el('p', 'notice notice-error', a.rowErrors(result.errors.length))
      message.setAttribute('role', 'alert')
      parts.push(
        message,
        table(
          [a.row, a.column, a.message],
          result.errors.map((e) => [String(e.row), e.column, e.message]),
        ),
      )
    } else if (result.dry_run && result.created + result.updated > 0) {
      parts.push(
        button(
          'primary-button confirm-import',
          a.confirm(result.created + result.updated),
          () => void this.send(false),
        ),
      )
    }
    this.result.replaceChildren(...parts)
    this.showOnMap(result)
  }

  /** The stations a check would write, as dots on the map (orange: new, blue: changed). */
  private showOnMap(result: ImportResult | null): void {
    const map = this.map.map
    const data = {
      type: 'FeatureCollection' as const,
      features: (result?.stations ?? []).map((s) => ({
        type: 'Feature' as const,
        properties: { action: s.action, code: s.code },
        geometry: { type: 'Point' as const, coordinates: [s.lon, s.lat] },
      })),
    }
    const source = map.getSource(PREVIEW) as GeoJSONSource | undefined
    if (source) source.setData(data)
    else if (map.isStyleLoaded() && result) {
      map.addSource(PREVIEW, { type: 'geojson', data })
      map.addLayer({
        id: PREVIEW,
        type: 'circle',
        source: PREVIEW,
        paint: {
          'circle-radius': 7,
          'circle-color': ['match', ['get', 'action'], 'create', '#c2410c', '#1d4ed8'],
          'circle-stroke-color': '#fff',
          'circle-stroke-width': 2,
        },
      })
    }
    if (result?.stations.length) this.map.show(result.stations, 14)
  }

  private demandForm(): HTMLElement {
    const a = t().admin
    const form = el('form', 'admin-form')
    const file = textInput('demand-file', '', 'file')
    file.accept = '.csv,.xlsx,.geojson,.json'
    const dataset = textInput('dataset')
    dataset.required = true
    const mode = select('mode', [
      ['replace', a.replace],
      ['append', a.append],
    ])
    const note = status()
    const submit = el('button', 'secondary-button', a.check)
    submit.type = 'submit'
    form.addEventListener('submit', (e) => {
      e.preventDefault()
      const chosen = file.files?.[0]
      if (!chosen) return
      void (async () => {
        note.textContent = a.importing
        try {
          const url = importDemandUrl(
            dataset.value.trim(),
            mode.value,
            this.crs.value as Crs,
            false,
          )
          const r = await uploadFile<DemandImportResult>(url, chosen, () => undefined)
          note.textContent = r.errors.length
            ? a.rowErrors(r.errors.length) +
              ': ' +
              r.errors.map((x) => `${a.row} ${x.row} ${x.column} ${x.message}`).join('; ')
            : a.demandResult(r.inserted, r.removed)
        } catch (err) {
          note.textContent = a.failed + problem(err)
        }
      })()
    })
    form.append(
      el('h3', '', a.demandTitle),
      el('p', 'muted', a.demandIntro),
      el('div', 'admin-row', field(a.file, file), field(a.dataset, dataset)),
      field(a.importMode, mode),
      el('div', 'admin-actions', submit),
      note,
    )
    return form
  }
}
