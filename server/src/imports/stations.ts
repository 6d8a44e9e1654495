import { randomUUID } from 'node:crypto'
import type { Knex } from 'knex'
import { AMENITIES, AMENITY_LABELS_ZH, type Amenity } from '../../../contract/vocabulary.ts'
import { STATION_COLUMNS, type StationColumn } from '../../../contract/station-columns.ts'
import { toWgs84, type Crs } from '../../../contract/crs.ts'
import { badRequest } from '../errors.ts'
import { contains, type Region } from '../auth/region.ts'
import { changes, recordAudit } from '../audit/queries.ts'
import { createStationBody, type CreateStation } from '../stations/schema.ts'
import { placeIn, placementErrors } from '../stations/service.ts'
import { editableByCode, insertStations, updateStations } from '../stations/queries.ts'
import type { FileRow } from './parse.ts'

export interface RowError {
  row: number
  column: string
  message: string
}

export interface ImportOptions {
  crs: Crs
  dryRun: boolean
  /** Write the good rows even when others have errors. */
  partial: boolean
  onProgress?: (done: number, total: number) => void
}

/** Who imports: an admin (their region limits the rows) or the command line (no one). */
export interface Importer {
  id: number | null
  region: Region
}

const BY_HEADER = new Map<string, StationColumn>(
  (Object.entries(STATION_COLUMNS) as [StationColumn, string][]).flatMap(([key, zh]) => [
    [key, key],
    [zh, key],
  ]),
)
const BY_LABEL = new Map<string, Amenity>(
  AMENITIES.flatMap((a) => [
    [a, a],
    [AMENITY_LABELS_ZH[a], a],
  ]),
)

/** The columns of the file by their header (`code` or `编号`); other columns are left alone. */
function columnsOf(header: string[]) {
  const columns = new Map<string, StationColumn>()
  for (const h of header) {
    const key =
      BY_HEADER.get(
        h
          .trim()
          .replace(/^\uFEFF/, '')
          .toLowerCase(),
      ) ?? BY_HEADER.get(h.trim())
    if (key) columns.set(h, key)
  }
  if (![...columns.values()].includes('code'))
    throw badRequest('The file needs a code (编号) column: rows are matched by station code')
  return columns
}

const TEXT: StationColumn[] = ['address', 'province', 'city', 'district', 'phone', 'operator']

/** One row as the fields it gives (a missing or empty cell gives nothing, text gives ''). */
function fieldsOf(
  cells: Record<string, string>,
  columns: Map<string, StationColumn>,
  crs: Crs,
  errors: RowError[],
  row: number,
) {
  const given: Partial<Record<StationColumn, string>> = {}
  for (const [header, key] of columns) given[key] = cells[header] ?? ''
  const fields: Partial<CreateStation> & { code?: string } = {}
  const fail = (column: string, message: string) => errors.push({ row, column, message })
  for (const key of ['code', 'name', 'opening_hours', 'state'] as const)
    if (given[key]) (fields as Record<string, string>)[key] = given[key]
  for (const key of TEXT)
    if (given[key] !== undefined) (fields as Record<string, string>)[key] = given[key]
  for (const key of ['capacity', 'charging_points'] as const) {
    const v = given[key]
    if (!v) continue
    if (!/^\d+$/.test(v)) fail(key, 'must be a whole number')
    else fields[key] = Number(v)
  }
  if (given.amenities !== undefined) {
    const names = given.amenities
      .split(/[,;、|，；]/)
      .map((s) => s.trim())
      .filter(Boolean)
    const unknown = names.filter((n) => !BY_LABEL.has(n))
    if (unknown.length) fail('amenities', `unknown amenity ${unknown.join(', ')}`)
    else fields.amenities = [...new Set(names.map((n) => BY_LABEL.get(n)!))]
  }
  if (given.lon || given.lat) {
    const lon = Number(given.lon)
    const lat = Number(given.lat)
    if (!given.lon || !Number.isFinite(lon)) fail('lon', 'must be a decimal number')
    else if (!given.lat || !Number.isFinite(lat)) fail('lat', 'must be a decimal number')
    else {
      fields.location = toWgs84(lon, lat, crs)
    }
  }
  return fields
}

const columnOf = (path: PropertyKey[]) =>
  path[0] === 'location' ? String(path[1] ?? 'lon') : String(path[0] ?? 'row')

/** Same position within a millimetre: a round trip through a file changes nothing. */
const samePlace = (a: CreateStation['location'], b: CreateStation['location']) =>
  Math.abs(a.lon - b.lon) < 1e-8 && Math.abs(a.lat - b.lat) < 1e-8

/**
 * Upserts stations by code from a parsed file: every row is checked (fields, region, codes
 * repeated in the file); with any error nothing is written unless `partial`; `dryRun` never
 * writes. One transaction, one audit entry per station created or changed.
 */
export async function importStations(
  knex: Knex,
  importer: Importer,
  file: { header: string[]; rows: FileRow[] },
  opts: ImportOptions,
) {
  const columns = columnsOf(file.header)
  const errors: RowError[] = []
  const seen = new Map<string, number>()
  const parsed = file.rows.map(({ row, cells }) => {
    const fields = fieldsOf(cells, columns, opts.crs, errors, row)
    if (!fields.code) errors.push({ row, column: 'code', message: 'required' })
    else if (seen.has(fields.code))
      errors.push({ row, column: 'code', message: `also on row ${seen.get(fields.code)}` })
    else seen.set(fields.code, row)
    return { row, fields }
  })
  const existing = await editableByCode(knex, [...seen.keys()])

  const creates: { row: number; station: CreateStation }[] = []
  const updates: { row: number; id: number; before: CreateStation; station: CreateStation }[] = []
  let unchanged = 0
  for (const { row, fields } of parsed) {
    if (errors.some((e) => e.row === row)) continue
    const current = existing.get(fields.code!)
    if (current && !contains(importer.region, current.station)) {
      errors.push({ row, column: 'code', message: 'this station is outside your region' })
      continue
    }
    const candidate = current ? { ...current.station, ...fields } : placeIn(fields, importer.region)
    const result = createStationBody.safeParse(candidate)
    if (!result.success) {
      for (const issue of result.error.issues)
        errors.push({ row, column: columnOf(issue.path), message: issue.message })
      continue
    }
    const station = result.data
    if (!current) creates.push({ row, station })
    else {
      if (samePlace(current.station.location, station.location))
        station.location = current.station.location
      if (Object.keys(changes(current.station, station).after).length)
        updates.push({ row, id: current.id, before: current.station, station })
      else unchanged++
    }
  }

  const placed = [...creates, ...updates.filter((u) => u.station.location !== u.before.location)]
  const placement = await placementErrors(
    knex,
    importer.region,
    placed.map((p) => p.station),
  )
  const misplaced = new Set<number>()
  placement.forEach((message, i) => {
    if (!message) return
    misplaced.add(placed[i]!.row)
    errors.push({ row: placed[i]!.row, column: 'lon', message })
  })
  const good = <T extends { row: number }>(list: T[]) => list.filter((x) => !misplaced.has(x.row))
  const toCreate = good(creates)
  const toUpdate = good(updates)
  errors.sort((a, b) => a.row - b.row)

  const importId = randomUUID()
  const write = !opts.dryRun && (opts.partial || errors.length === 0)
  if (write) await writeImport(knex, importer, importId, toCreate, toUpdate, opts.onProgress)
  return {
    import_id: write ? importId : null,
    dry_run: opts.dryRun,
    written: write,
    created: toCreate.length,
    updated: toUpdate.length,
    unchanged,
    errors,
    stations: [
      ...toCreate.map((c) => ({
        row: c.row,
        code: c.station.code,
        action: 'create' as const,
        ...c.station.location,
      })),
      ...toUpdate.map((u) => ({
        row: u.row,
        code: u.station.code,
        action: 'update' as const,
        ...u.station.location,
      })),
    ].sort((a, b) => a.row - b.row),
  }
}

const CHUNK = 5000

async function writeImport(
  knex: Knex,
  importer: Importer,
  importId: string,
  creates: { station: CreateStation }[],
  updates: { id: number; before: CreateStation; station: CreateStation }[],
  onProgress?: (done: number, total: number) => void,
) {
  const total = creates.length + updates.length
  let done = 0
  await knex.transaction(async (trx) => {
    for (let i = 0; i < creates.length; i += CHUNK) {
      const chunk = creates.slice(i, i + CHUNK).map((c) => c.station)
      const ids = await insertStations(trx, chunk)
      await recordAudit(
        trx,
        chunk.map((station, j) => ({
          actor_id: importer.id,
          action: 'station.import',
          station_id: ids[j]!,
          import_id: importId,
          before: null,
          after: station,
        })),
      )
      onProgress?.((done += chunk.length), total)
    }
    for (let i = 0; i < updates.length; i += CHUNK) {
      const chunk = updates.slice(i, i + CHUNK)
      await updateStations(
        trx,
        chunk.map((u) => u.station),
      )
      await recordAudit(
        trx,
        chunk.map((u) => ({
          actor_id: importer.id,
          action: 'station.import',
          station_id: u.id,
          import_id: importId,
          ...changes(u.before, u.station),
        })),
      )
      onProgress?.((done += chunk.length), total)
    }
  })
}
