import { parse as parseCsv } from 'csv-parse/sync'
import ExcelJS from 'exceljs'
import { badRequest } from '../errors.ts'

/** A data row of a file: its row number as a spreadsheet shows it (the header is row 1). */
export interface FileRow {
  row: number
  cells: Record<string, string>
}

export type FileKind = 'csv' | 'xlsx' | 'geojson'

const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'

/** The file's kind from its Content-Type (what browsers and curl send for each). */
export function fileKind(contentType: string | undefined): FileKind | undefined {
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase()
  if (type === 'text/csv') return 'csv'
  if (type === XLSX) return 'xlsx'
  if (type === 'application/geo+json' || type === 'application/json') return 'geojson'
  return undefined
}

/**
 * UTF-8 (with or without BOM) unless the charset says otherwise; a file that is not valid
 * UTF-8 is GB18030 (what Excel on a Chinese Windows saves as CSV).
 */
export function decodeText(bytes: Buffer, contentType = ''): string {
  const charset = /charset=([\w-]+)/i.exec(contentType)?.[1]?.toLowerCase()
  if (charset && !['utf-8', 'utf8'].includes(charset)) {
    try {
      return new TextDecoder(charset).decode(bytes)
    } catch {
      throw badRequest(`Unknown charset ${charset}`)
    }
  }
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes)
  } catch {
    return new TextDecoder('gb18030').decode(bytes)
  }
}

const text = (v: unknown): string => {
  if (v === null || v === undefined) return ''
  if (typeof v === 'object' && 'text' in v) return String((v as { text: unknown }).text)
  if (typeof v === 'object' && 'result' in v) return String((v as { result: unknown }).result)
  if (typeof v === 'object' && 'richText' in v)
    return (v as { richText: { text: string }[] }).richText.map((r) => r.text).join('')
  return String(v)
}

function table(header: string[], body: string[][], firstRow = 2): FileRow[] {
  return body
    .map((values, i) => ({
      row: firstRow + i,
      cells: Object.fromEntries(header.map((h, j) => [h, (values[j] ?? '').trim()])),
    }))
    .filter((r) => Object.values(r.cells).some((v) => v !== ''))
}

async function xlsxRows(bytes: Buffer): Promise<{ header: string[]; rows: FileRow[] }> {
  const book = new ExcelJS.Workbook()
  try {
    await book.xlsx.load(bytes as unknown as ArrayBuffer)
  } catch {
    throw badRequest('The file is not a readable .xlsx workbook')
  }
  const sheet = book.worksheets[0]
  if (!sheet) throw badRequest('The workbook has no sheet')
  const values: string[][] = []
  sheet.eachRow({ includeEmpty: true }, (row, n) => {
    const cells = (row.values as unknown[]).slice(1).map(text)
    values[n - 1] = cells
  })
  const [header = [], ...body] = Array.from(values, (v) => v ?? [])
  return { header, rows: table(header, body) }
}

function geojsonRows(source: string): { header: string[]; rows: FileRow[] } {
  let doc: { type?: string; features?: unknown[] }
  try {
    doc = JSON.parse(source)
  } catch {
    throw badRequest('The file is not valid JSON')
  }
  if (doc?.type !== 'FeatureCollection' || !Array.isArray(doc.features))
    throw badRequest('GeoJSON must be a FeatureCollection')
  const rows = doc.features.map((f, i) => {
    const feature = f as {
      geometry?: { type?: string; coordinates?: unknown[] }
      properties?: Record<string, unknown>
    }
    const cells: Record<string, string> = {}
    for (const [k, v] of Object.entries(feature.properties ?? {}))
      cells[k] = Array.isArray(v) ? v.join(',') : text(v).trim()
    const point = feature.geometry?.type === 'Point' ? feature.geometry.coordinates : undefined
    cells.lon = point ? text(point[0]) : ''
    cells.lat = point ? text(point[1]) : ''
    // A feature's number is its position, counted like spreadsheet rows (first = 2).
    return { row: i + 2, cells }
  })
  const header = [...new Set(rows.flatMap((r) => Object.keys(r.cells)))]
  return { header, rows }
}

/** The header and data rows of an uploaded file. */
export async function readFile(
  bytes: Buffer,
  kind: FileKind,
  contentType?: string,
): Promise<{ header: string[]; rows: FileRow[] }> {
  if (kind === 'xlsx') return xlsxRows(bytes)
  const source = decodeText(bytes, contentType)
  if (kind === 'geojson') return geojsonRows(source)
  let records: string[][]
  try {
    records = parseCsv(source, { bom: true, relax_column_count: true, skip_empty_lines: false })
  } catch (err) {
    throw badRequest(`The CSV cannot be read: ${(err as Error).message}`)
  }
  const [header = [], ...body] = records
  return { header, rows: table(header, body) }
}
