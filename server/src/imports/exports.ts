import { stringify } from 'csv-stringify/sync'
import ExcelJS from 'exceljs'
import { STATION_COLUMNS, type StationColumn } from '../../../contract/station-columns.ts'
import type { CreateStation } from '../stations/schema.ts'

const COLUMNS = Object.keys(STATION_COLUMNS) as StationColumn[]

function cells(s: CreateStation): (string | number)[] {
  const value: Record<StationColumn, string | number> = {
    ...s,
    lon: s.location.lon,
    lat: s.location.lat,
    amenities: s.amenities.join(','),
  }
  return COLUMNS.map((c) => value[c])
}

/** UTF-8 with a BOM, so that Excel shows the Chinese text as it is. */
export function stationsCsv(stations: CreateStation[]): Buffer {
  const text = stringify([COLUMNS, ...stations.map(cells)])
  return Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text, 'utf8')])
}

export async function stationsXlsx(stations: CreateStation[]): Promise<Buffer> {
  const book = new ExcelJS.Workbook()
  const sheet = book.addWorksheet('stations')
  sheet.addRow(COLUMNS)
  for (const s of stations) sheet.addRow(cells(s))
  sheet.getRow(1).font = { bold: true }
  sheet.views = [{ state: 'frozen', ySplit: 1 }]
  return Buffer.from(await book.xlsx.writeBuffer())
}
