import { z } from 'zod'
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi'
import { queryBbox } from '../http/params.ts'
import { pointFeatureCollectionSchema } from '../http/paging.ts'
import { problemResponses } from '../openapi.ts'
import { stationTableFilters, stationTableRow } from '../stations/table.ts'

export const FORMATS = {
  geojson: 'application/geo+json',
  csv: 'text/csv; charset=utf-8',
  fgb: 'application/flatgeobuf',
} as const
export type Format = keyof typeof FORMATS

/** One file holds every selected station: a national network (186,000) fits, with room. */
export const MAX_STATIONS = 250_000

export const formatParam = z.object({
  format: z.enum(Object.keys(FORMATS) as [Format, ...Format[]]).meta({
    description: 'geojson (RFC 7946), csv (UTF-8 with BOM) or fgb (FlatGeobuf)',
  }),
})

export const downloadQuery = stationTableFilters.extend({
  bbox: queryBbox.optional(),
  geometry: z
    .enum(['lonlat', 'wkt'])
    .default('lonlat')
    .meta({ description: 'CSV only: `lon` and `lat` columns, or one `wkt` column' }),
})
export type DownloadQuery = z.output<typeof downloadQuery>

export function registerDownloadsApi(registry: OpenAPIRegistry) {
  registry.registerPath({
    method: 'get',
    path: '/api/v1/downloads/stations.{format}',
    summary: 'Download the stations as a file',
    description:
      'Every station that is not retired in a bbox and/or a region (`province`, `city`, ' +
      '`district`, or any of the filters the OGC API takes), with its live status as plain ' +
      'typed columns (the same columns as `/ogc/collections/stations/items`), as of the ' +
      'request: GeoJSON, CSV (for spreadsheets: UTF-8 with BOM; lon/lat or WKT) or ' +
      'FlatGeobuf (QGIS, GDAL: typed columns, EPSG:4326). Sent as an attachment.',
    request: { params: formatParam, query: downloadQuery },
    responses: {
      200: {
        description: 'The file',
        headers: {
          'Content-Disposition': {
            description: 'attachment, with the file name',
            schema: { type: 'string' },
          },
        },
        content: {
          [FORMATS.geojson]: {
            schema: pointFeatureCollectionSchema(stationTableRow),
          },
          [FORMATS.csv]: { schema: z.string() },
          [FORMATS.fgb]: { schema: z.string().meta({ format: 'binary' }) },
        },
      },
      ...problemResponses(404),
    },
  })
}
