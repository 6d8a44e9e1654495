import type { Knex } from 'knex'
import { badRequest } from '../errors.ts'
import { recordAudit } from '../audit/queries.ts'
import { writeDemandPoints } from '../coverage/queries.ts'
import { toWgs84, type Crs } from '../../../contract/crs.ts'
import type { RowError } from './stations.ts'
import type { FileRow } from './parse.ts'

const HEADERS: Record<string, 'lon' | 'lat' | 'weight' | 'kind'> = {
  lon: 'lon',
  经度: 'lon',
  lat: 'lat',
  纬度: 'lat',
  weight: 'weight',
  权重: 'weight',
  kind: 'kind',
  类型: 'kind',
}

export interface DemandImport {
  dataset: string
  mode: 'replace' | 'append'
  crs: Crs
  dryRun: boolean
  partial: boolean
}

/** Demand points from a file (lon, lat, weight, kind) into a data set for the planners. */
export async function importDemandPoints(
  knex: Knex,
  actorId: number,
  file: { header: string[]; rows: FileRow[] },
  opts: DemandImport,
) {
  const column = new Map(
    file.header.flatMap((h) => {
      const key = HEADERS[h.trim().toLowerCase()] ?? HEADERS[h.trim()]
      return key ? [[h, key] as const] : []
    }),
  )
  if (!['lon', 'lat'].every((c) => [...column.values()].includes(c as 'lon')))
    throw badRequest('The file needs lon and lat columns (经度, 纬度)')
  const errors: RowError[] = []
  const points = file.rows.flatMap(({ row, cells }) => {
    const v: Partial<Record<'lon' | 'lat' | 'weight' | 'kind', string>> = {}
    for (const [h, key] of column) v[key] = cells[h] ?? ''
    const lon = Number(v.lon)
    const lat = Number(v.lat)
    const weight = v.weight ? Number(v.weight) : 1
    const fail = (c: string, message: string) => (errors.push({ row, column: c, message }), [])
    if (!v.lon || !Number.isFinite(lon) || Math.abs(lon) > 180)
      return fail('lon', 'must be a longitude')
    if (!v.lat || !Number.isFinite(lat) || Math.abs(lat) > 90)
      return fail('lat', 'must be a latitude')
    if (!Number.isFinite(weight) || weight <= 0 || weight > 100_000)
      return fail('weight', 'must be a number above 0, at most 100,000')
    const kind = (v.kind || 'import').slice(0, 50)
    return [{ ...toWgs84(lon, lat, opts.crs), weight, kind }]
  })
  const write = !opts.dryRun && (opts.partial || errors.length === 0)
  let removed = 0
  if (write)
    await knex.transaction(async (trx) => {
      removed = await writeDemandPoints(trx, opts.dataset, points, opts.mode === 'replace')
      await recordAudit(trx, [
        {
          actor_id: actorId,
          action: 'demand.import',
          after: { dataset: opts.dataset, mode: opts.mode, inserted: points.length, removed },
        },
      ])
    })
  return {
    dataset: opts.dataset,
    dry_run: opts.dryRun,
    written: write,
    inserted: write ? points.length : 0,
    valid: points.length,
    removed,
    errors,
  }
}
