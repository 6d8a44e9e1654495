import type { Feature, FeatureCollection, Point, Polygon } from 'geojson'
import type { GapCell, GapsResponse, Suggestion, SuggestionsResponse } from '../shared/api.ts'
import { t } from '../shared/i18n.ts'

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

/** The centre of a hexagon: the mean of its six corners (the ring repeats the first). */
function cellCentre(cell: Feature<Polygon>): [lon: number, lat: number] {
  const ring = cell.geometry.coordinates[0]!.slice(0, -1)
  let lon = 0
  let lat = 0
  for (const [x, y] of ring) {
    lon += x!
    lat += y!
  }
  return [round(lon / ring.length, 6), round(lat / ring.length, 6)]
}

export function gapsCsv(cells: GapCell[]): string {
  const rows = cells.map((cell) => {
    const p = cell.properties
    return [
      cell.id,
      ...cellCentre(cell),
      p.demand,
      p.covered_demand,
      p.uncovered_demand,
      p.requests,
      p.stations_within_reach,
      p.nearest_station_id,
      p.nearest_distance_m,
    ]
  })
  return toCsv(t().planner.csv.gaps, rows)
}

export function suggestionsCsv(suggestions: Suggestion[]): string {
  const rows = suggestions.map((s) => [
    s.rank,
    round(s.location[0], 6),
    round(s.location[1], 6),
    t().planner.sources[s.source],
    s.added_demand,
    s.newly_covered_demand,
    s.covered_demand,
    s.coverage_ratio === null ? null : round(s.coverage_ratio, 6),
  ])
  return toCsv(t().planner.csv.suggestions, rows)
}

/** The gap cells, with the question asked and the summary as foreign members. */
export function gapsGeoJson(gaps: GapsResponse): string {
  const collection = {
    type: 'FeatureCollection',
    query: gaps.query,
    summary: gaps.summary,
    features: gaps.features.filter((cell) => cell.properties.gap),
  }
  return JSON.stringify(collection)
}

export function suggestionsGeoJson(res: SuggestionsResponse): string {
  const collection: FeatureCollection<Point> & Pick<SuggestionsResponse, 'query' | 'summary'> = {
    type: 'FeatureCollection',
    query: res.query,
    summary: res.summary,
    features: res.suggestions.map(({ location, ...properties }) => ({
      type: 'Feature',
      id: properties.rank,
      geometry: { type: 'Point', coordinates: location },
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
