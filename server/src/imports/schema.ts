import { z } from 'zod'
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi'
import { CRSES } from '../../../contract/crs.ts'
import { queryBool } from '../http/params.ts'
import { problemResponses } from '../openapi.ts'

export const importQuery = z.strictObject({
  crs: z.enum(CRSES).default('wgs84').meta({
    description:
      'The coordinates in the file: wgs84 (GPS, Tianditu), gcj02 (Amap, Tencent), bd09 (Baidu)',
  }),
  dry_run: queryBool.default(false).meta({ description: 'Check every row, write nothing' }),
  partial: queryBool
    .default(false)
    .meta({ description: 'Write the good rows even when some have errors' }),
})

export const exportQuery = z.strictObject({})

export const demandImportQuery = importQuery.extend({
  dataset: z
    .string()
    .trim()
    .min(1)
    .max(64)
    .meta({ description: 'The data set to write, e.g. `2026-survey`', example: '2026-survey' }),
  mode: z.enum(['replace', 'append']).default('replace').meta({
    description: '`replace` empties the data set first; `append` adds to it',
  }),
})

export const demandImportResult = z
  .object({
    dataset: z.string(),
    dry_run: z.boolean(),
    written: z.boolean(),
    inserted: z.number().int(),
    valid: z.number().int().meta({ description: 'Rows without errors' }),
    removed: z.number().int().meta({ description: 'Points removed from the data set (replace)' }),
    errors: z.array(z.object({ row: z.number().int(), column: z.string(), message: z.string() })),
  })
  .meta({ id: 'DemandImportResult' })

const rowError = z.object({
  row: z.number().int().meta({ description: 'As a spreadsheet numbers it: the header is row 1' }),
  column: z.string(),
  message: z.string(),
})

export const importResult = z
  .object({
    import_id: z.string().nullable().meta({ description: 'In the audit log; null if not written' }),
    dry_run: z.boolean(),
    written: z.boolean(),
    created: z.number().int(),
    updated: z.number().int(),
    unchanged: z.number().int(),
    errors: z.array(rowError),
    stations: z
      .array(
        z.object({
          row: z.number().int(),
          code: z.string(),
          action: z.enum(['create', 'update']),
          lon: z.number(),
          lat: z.number(),
        }),
      )
      .meta({ description: 'The stations created or changed (WGS-84), to show on a map' }),
  })
  .meta({ id: 'ImportResult' })

const FILE_TYPES = {
  'text/csv': 'UTF-8 (with or without BOM) or GB18030 (detected, or given as charset)',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': 'The first sheet',
  'application/geo+json': 'A FeatureCollection of Points; properties as the columns',
}

/** The request body of an import: the file itself, in one of the types it may have. */
const fileBody = {
  content: Object.fromEntries(
    Object.entries(FILE_TYPES).map(([type, description]) => [
      type,
      { schema: z.string().meta({ format: 'binary', description }) },
    ]),
  ),
}

export function registerImportsApi(registry: OpenAPIRegistry) {
  registry.registerPath({
    method: 'post',
    path: '/api/v1/imports/stations',
    summary: 'Import stations from a spreadsheet (admin)',
    description:
      'Rows upsert by code. Columns: code, name, address, province, city, district, lon, lat, ' +
      'amenities, capacity, charging_points, opening_hours, phone, operator, state (or their ' +
      'Chinese headers 编号, 名称, 地址, 省份, 城市, 区县, 经度, 纬度, 设施, 座位数, 充电桩, ' +
      '开放时间, 电话, 运营单位, 状态); a missing column keeps what a station has. Amenities ' +
      'as codes or Chinese names separated by , ; 、 or |. Coordinates are converted to ' +
      "WGS-84 and checked against the admin's region. Any row error: nothing is written " +
      '(unless partial).',
    tags: ['imports'],
    request: {
      query: importQuery,
      body: fileBody,
    },
    responses: {
      200: {
        description: 'What was (or, dry run, would be) written, and every row error',
        content: { 'application/json': { schema: importResult } },
      },
      ...problemResponses(400, 401, 403, 413, 415),
    },
  })
  registry.registerPath({
    method: 'post',
    path: '/api/v1/imports/demand-points',
    summary: 'Import demand points into a data set (planner, admin)',
    description:
      'A CSV (or .xlsx, GeoJSON) with lon, lat and optionally weight (default 1) and kind ' +
      '(经度, 纬度, 权重, 类型). Coverage analyses choose the data set with `dataset`. Any row ' +
      'error: nothing is written (unless partial).',
    tags: ['imports'],
    request: {
      query: demandImportQuery,
      body: fileBody,
    },
    responses: {
      200: {
        description: 'What was (or, dry run, would be) written',
        content: { 'application/json': { schema: demandImportResult } },
      },
      ...problemResponses(400, 401, 403, 413, 415),
    },
  })
  for (const [ext, type] of [
    ['csv', 'text/csv'],
    ['xlsx', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'],
  ] as const)
    registry.registerPath({
      method: 'get',
      path: `/api/v1/exports/stations.${ext}`,
      summary: `Export stations as ${ext.toUpperCase()} (admin)`,
      description:
        "The stations of the admin's region in the import's columns (WGS-84): importing the " +
        'file again changes nothing.',
      tags: ['imports'],
      responses: {
        200: {
          description: 'The file',
          content: { [type]: { schema: z.string().meta({ format: 'binary' }) } },
        },
        ...problemResponses(401, 403),
      },
    })
}
