import express, { Router, type Request } from 'express'
import type { Knex } from 'knex'
import { HttpError, parse } from '../errors.ts'
import { requireScope } from '../auth/middleware.ts'
import type { Config } from '../config.ts'
import type { StationIndex } from '../stations/stationIndex.ts'
import { editableInRegion } from '../stations/queries.ts'
import { demandImportQuery, exportQuery, importQuery } from './schema.ts'
import { importDemandPoints } from './demand.ts'
import { fileKind, readFile } from './parse.ts'
import { importStations } from './stations.ts'
import { stationsCsv, stationsXlsx } from './exports.ts'

const stamp = () => new Date().toISOString().slice(0, 10)

function fileKindOf(req: Request) {
  const kind = fileKind(req.get('content-type'))
  if (!kind)
    throw new HttpError(
      415,
      'Unsupported Media Type',
      'Send the file as text/csv, an .xlsx workbook or application/geo+json',
    )
  return kind
}

const fileBody = (req: Request) => (Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0))

/** Mounted before the JSON body parser: these routes take files. */
export function importRoutes(knex: Knex, config: Config, index?: StationIndex) {
  const router = Router()
  const admin = requireScope('admin')
  const file = express.raw({ type: () => true, limit: `${config.IMPORT_MAX_MB}mb` })

  router.post('/imports/stations', admin, file, async (req, res) => {
    const q = parse(importQuery, req.query, 'query')
    const rows = await readFile(fileBody(req), fileKindOf(req), req.get('content-type'))
    const user = req.user!
    const result = await importStations(knex, { id: user.id, region: user.region }, rows, {
      crs: q.crs,
      dryRun: q.dry_run,
      partial: q.partial,
    })
    if (result.written) await index?.refreshCodes(result.stations.map((s) => s.code))
    res.json(result)
  })

  router.post('/imports/demand-points', requireScope('plan'), file, async (req, res) => {
    const q = parse(demandImportQuery, req.query, 'query')
    const rows = await readFile(fileBody(req), fileKindOf(req), req.get('content-type'))
    res.json(
      await importDemandPoints(knex, req.user!.id, rows, {
        dataset: q.dataset,
        mode: q.mode,
        crs: q.crs,
        dryRun: q.dry_run,
        partial: q.partial,
      }),
    )
  })

  router.get('/exports/stations.csv', admin, async (req, res) => {
    parse(exportQuery, req.query, 'query')
    const stations = await editableInRegion(knex, req.user!.region)
    res
      .type('text/csv; charset=utf-8')
      .attachment(`stations-${stamp()}.csv`)
      .send(stationsCsv(stations))
  })

  router.get('/exports/stations.xlsx', admin, async (req, res) => {
    parse(exportQuery, req.query, 'query')
    const stations = await editableInRegion(knex, req.user!.region)
    res.attachment(`stations-${stamp()}.xlsx`).send(await stationsXlsx(stations))
  })

  return router
}
