import type { Feature, FeatureCollection, Point, Polygon, Position } from 'geojson'
import { CRS_NAMES, CRSES, fromWgs84, type Crs } from '../../../contract/crs.ts'
import type { GapCell, GapsResponse, Suggestion, SuggestionsResponse } from '../shared/api.ts'
import type { Bbox } from '../../../contract/bbox.ts'
import { button, el } from '../shared/dom.ts'
import { onLangChange, t } from '../shared/i18n.ts'

/** Excel reads a CSV file as the system's legacy code page unless it starts with this. */
const BOM = '\uFEFF'

type Cell = string | number | null

function csvField(value: Cell): string {
  if (value === null) return ''
  const text = String(value)
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text
}

/** RFC 4180 CSV with a byte-order mark and CRLF line ends, as Excel expects. */
function toCsv(header: readonly string[], rows: Cell[][]): string {
  const lines = [header, ...rows].map((row) => row.map(csvField).join(','))
  return `${BOM}${lines.join('\r\n')}\r\n`
}

const round = (value: number, digits: number) => Number(value.toFixed(digits))

/** A WGS-84 position in `crs`, to the 6 decimals (about 0.1 m) of the API's coordinates. */
function position([lon, lat]: Position, crs: Crs): [lon: number, lat: number] {
  const p = fromWgs84(lon!, lat!, crs)
  return [round(p.lon, 6), round(p.lat, 6)]
}

/** The centre of a hexagon: the mean of its six corners (the ring repeats the first). */
function cellCentre(cell: Feature<Polygon>): [lon: number, lat: number] {
  const ring = cell.geometry.coordinates[0]!.slice(0, -1)
  let lon = 0
  let lat = 0
  for (const [x, y] of ring) {
    lon += x!
    lat += y!
  }
  return [lon / ring.length, lat / ring.length]
}

const headerCrs = (crs: Crs) => ({ code: crs, name: CRS_NAMES[crs] })

export function gapsCsv(cells: GapCell[], crs: Crs): string {
  const rows = cells.map((cell) => {
    const p = cell.properties
    return [
      cell.id,
      ...position(cellCentre(cell), crs),
      p.district,
      p.city,
      p.demand,
      p.covered_demand,
      p.uncovered_demand,
      p.requests,
      p.stations_within_reach,
      p.nearest_station_code,
      p.nearest_station_name,
      p.nearest_station_address,
      p.nearest_distance_m,
    ]
  })
  return toCsv(t().planner.csv.gaps(headerCrs(crs)), rows)
}

export function suggestionsCsv(suggestions: Suggestion[], crs: Crs): string {
  const rows = suggestions.map((s) => [
    s.rank,
    ...position(s.location, crs),
    s.district,
    s.city,
    s.nearest_station_code,
    s.nearest_station_name,
    s.nearest_station_address,
    s.nearest_distance_m,
    t().planner.sources[s.source],
    s.newly_covered_demand,
    s.covered_demand,
    s.coverage_ratio === null ? null : round(s.coverage_ratio, 6),
  ])
  return toCsv(t().planner.csv.suggestions(headerCrs(crs)), rows)
}

/**
 * Foreign members that say which coordinates a GeoJSON file holds. RFC 7946 allows WGS-84 only,
 * and a GIS reads any GeoJSON as such: a GCJ-02 or BD-09 file, for Chinese map tools, says
 * that it is not and why, here and in its name.
 */
function crsMembers(crs: Crs) {
  return {
    coordinate_system: CRS_NAMES[crs],
    ...(crs === 'wgs84'
      ? {}
      : {
          coordinate_note:
            `Coordinates are ${CRS_NAMES[crs]}, for Chinese map tools, not the WGS-84 of ` +
            'RFC 7946: a GIS reading them as WGS-84 places them a few hundred metres off.',
        }),
  }
}

/** The gap cells, with the question asked, the unit and the summary as foreign members. */
export function gapsGeoJson(gaps: GapsResponse, crs: Crs): string {
  const collection = {
    type: 'FeatureCollection',
    ...crsMembers(crs),
    demand_unit: gaps.demand_unit,
    query: gaps.query,
    summary: gaps.summary,
    features: gaps.features
      .filter((cell) => cell.properties.gap)
      .map((cell) => ({
        ...cell,
        geometry: {
          type: 'Polygon',
          coordinates: cell.geometry.coordinates.map((ring) => ring.map((p) => position(p, crs))),
        },
      })),
  }
  return JSON.stringify(collection)
}

export function suggestionsGeoJson(res: SuggestionsResponse, crs: Crs): string {
  const collection: FeatureCollection<Point> &
    Pick<SuggestionsResponse, 'query' | 'summary' | 'demand_unit'> = {
    type: 'FeatureCollection',
    ...crsMembers(crs),
    demand_unit: res.demand_unit,
    query: res.query,
    summary: res.summary,
    features: res.suggestions.map(({ location, ...properties }) => ({
      type: 'Feature',
      id: properties.rank,
      geometry: { type: 'Point', coordinates: position(location, crs) },
      properties,
    })),
  }
  return JSON.stringify(collection)
}

/** Saves text as a file, without a round trip to the server. */
export function download(filename: string, type: string, text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type }))
  const link = document.createElement('a')
  link.href = url
  link.download = filename
  link.hidden = true
  document.body.append(link)
  link.click()
  link.remove()
  // some browsers read the blob after click() returns
  setTimeout(() => URL.revokeObjectURL(url), 60_000)
}

/** The export section: gap cells and suggested sites as GeoJSON or CSV, in a chosen CRS. */
export class Exports {
  readonly element = el('section', 'planner-section exports')
  private readonly crs = el('select', 'crs-select')
  private gaps: GapsResponse | null = null
  private suggestions: SuggestionsResponse | null = null
  private slug = ''
  private bbox: Bbox | null = null

  constructor() {
    this.crs.id = 'planner-export-crs'
    this.crs.addEventListener('change', () => this.render())
    onLangChange(() => this.render())
  }

  /** What there is to export now; `slug` names the params in the file names. */
  show(
    gaps: GapsResponse | null,
    suggestions: SuggestionsResponse | null,
    slug: string,
    bbox: Bbox,
  ): void {
    this.gaps = gaps
    this.suggestions = suggestions
    this.slug = slug
    this.bbox = bbox
    this.render()
  }

  private render(): void {
    const m = t().planner
    const crs = (this.crs.value || 'wgs84') as Crs
    this.crs.replaceChildren(
      ...CRSES.map((c) => Object.assign(el('option', '', t().admin.crses[c]), { value: c })),
    )
    this.crs.value = crs
    const { gaps, suggestions, slug } = this
    const csv = 'text/csv;charset=utf-8'
    const geojson = 'application/geo+json'
    const action = (
      name: string,
      label: string,
      ready: boolean,
      save: () => [filename: string, type: string, text: string],
    ) => {
      const node = button('secondary-button export-button', label, () => download(...save()))
      node.dataset.export = name
      node.disabled = !ready
      return node
    }
    const gapCells = () => gaps!.features.filter((cell) => cell.properties.gap)
    // the stations of the area, with their live columns, as the server writes them (WGS-84)
    const stationFile = (format: string, label: string) => {
      const link = el('a', 'secondary-button export-button', label)
      link.href = `/api/v1/downloads/stations.${format}?bbox=${this.bbox?.join(',') ?? ''}`
      link.download = ''
      link.dataset.export = `stations-${format}`
      return link
    }
    const k = suggestions?.suggestions.length ?? 0
    const label = el('label', 'export-label', m.exportCrs)
    label.htmlFor = this.crs.id
    this.element.replaceChildren(
      el('h2', '', m.exportTitle),
      el('p', 'field-hint', m.exportHint),
      el('div', 'export-row', label, this.crs),
      el('p', 'field-hint', m.exportCrsHint),
      el(
        'div',
        'export-row',
        el('span', 'export-label', m.exportGaps),
        action('gaps-geojson', 'GeoJSON', gaps !== null, () => [
          `yizhan-gaps-${slug}-${crs}.geojson`,
          geojson,
          gapsGeoJson(gaps!, crs),
        ]),
        action('gaps-csv', 'CSV', gaps !== null, () => [
          `yizhan-gaps-${slug}-${crs}.csv`,
          csv,
          gapsCsv(gapCells(), crs),
        ]),
      ),
      el(
        'div',
        'export-row',
        el('span', 'export-label', m.exportSuggestions),
        action('suggestions-geojson', 'GeoJSON', k > 0, () => [
          `yizhan-suggestions-${slug}-k${k}-${crs}.geojson`,
          geojson,
          suggestionsGeoJson(suggestions!, crs),
        ]),
        action('suggestions-csv', 'CSV', k > 0, () => [
          `yizhan-suggestions-${slug}-k${k}-${crs}.csv`,
          csv,
          suggestionsCsv(suggestions!.suggestions, crs),
        ]),
      ),
      el(
        'div',
        'export-row',
        el('span', 'export-label', m.exportStations),
        stationFile('geojson', 'GeoJSON'),
        stationFile('csv', 'CSV'),
        stationFile('fgb', 'FlatGeobuf'),
      ),
      el('p', 'field-hint', m.exportStationsHint),
    )
  }
}
