import { Router } from 'express'
import { z } from 'zod'
import type { Knex } from 'knex'
import { stringify } from 'csv-stringify/sync'
import { badRequest, parse } from '../errors.ts'
import type { StatusRules } from '../stations/status.ts'
import { countTableRows, findTableRows } from '../stations/queries.ts'
import { stationTableRow } from '../stations/table.ts'
import { FORMATS, MAX_STATIONS, downloadQuery, formatParam, type DownloadQuery } from './schema.ts'
import { pointsToFlatGeobuf } from './flatgeobuf.ts'

/** `stations-长沙市-2026-12-05.csv`: what, where and when, as a person would name it. */
function fileName(q: DownloadQuery, now: Date, ext: string) {
  const where = [q.province, q.city, q.district].filter(Boolean).join('-')
  return `stations${where ? `-${where}` : ''}-${now.toISOString().slice(0, 10)}.${ext}`
}

const withId = stationTableRow.extend({ id: z.number().int() })

export function downloadRoutes(knex: Knex, rules: () => StatusRules) {
  const router = Router()

  router.get('/downloads/stations.:format', async (req, res) => {
    const { format } = parse(formatParam, req.params, 'path')
    const { bbox, geometry, ...filters } = parse(downloadQuery, req.query, 'query')
    const now = rules()
    const read = { bbox, filters }
    if ((await countTableRows(knex, read, now)) > MAX_STATIONS)
      throw badRequest(
        `More than ${MAX_STATIONS.toLocaleString('en')} stations: choose a region or a bbox`,
      )
    const rows = await findTableRows(
      knex,
      {
        ...read,
        limit: MAX_STATIONS,
        offset: 0,
        srid: 4326,
        wkt: format === 'csv' && geometry === 'wkt',
      },
      now,
    )
    // the live columns are as of now: as fresh as the tiles
    res.setHeader('Cache-Control', 'public, max-age=15')
    res.attachment(fileName({ bbox, geometry, ...filters }, now.now, format))
    res.type(FORMATS[format])

    if (format === 'geojson') {
      res.send(
        JSON.stringify({
          type: 'FeatureCollection',
          features: rows.map(({ row: { id, ...properties }, position }) => ({
            type: 'Feature',
            id,
            geometry: { type: 'Point', coordinates: position },
            properties,
          })),
        }),
      )
    } else if (format === 'csv') {
      const records = rows.map(({ row, position: [lon, lat], wkt }) =>
        geometry === 'wkt' ? { ...row, wkt } : { ...row, lon, lat },
      )
      const columns = [
        'id',
        ...Object.keys(stationTableRow.shape),
        ...(geometry === 'wkt' ? ['wkt'] : ['lon', 'lat']),
      ]
      // The BOM tells Excel the file is UTF-8, or it reads the Chinese as GBK.
      res.send(
        '\ufeff' +
          stringify(records, {
            header: true,
            columns,
            cast: { boolean: (v) => String(v) },
          }),
      )
    } else {
      // a FlatGeobuf feature has no id of its own: the station's is a column
      const features = rows.map(({ row, position }) => ({ position, properties: row }))
      res.send(Buffer.from(pointsToFlatGeobuf(withId, features, 4326)))
    }
  })

  return router
}
