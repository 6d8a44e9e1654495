import { z } from 'zod'
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi'
import { SUPPLIES } from '../../../contract/vocabulary.ts'
import { idempotencyKey, idParam, queryCursor, queryInt } from '../http/params.ts'
import { problemResponses } from '../openapi.ts'
import { station } from '../stations/schema.ts'
import { ifMatch } from '../stations/etag.ts'

/** Shape only; bounds that depend on the station (capacity, chargers) are checked against it. */
export const reportBody = z.strictObject({
  occupancy: z.number().int().min(0).max(10_000).meta({ description: 'People at the station now' }),
  charging_points_in_use: z.number().int().min(0).max(10_000).optional(),
  supplies: z
    .partialRecord(z.enum(SUPPLIES), z.number().int().min(0).max(100))
    .optional()
    .meta({
      description: 'Level 0–100 % of each supply reported',
      example: { drinking_water: 60 },
    }),
  note: z.string().max(500).optional(),
})
export type ReportBody = z.output<typeof reportBody>

export const historyQuery = z.strictObject({
  from: z.iso.datetime({ offset: true }).optional().meta({ description: 'ISO 8601, inclusive' }),
  to: z.iso.datetime({ offset: true }).optional().meta({ description: 'ISO 8601, exclusive' }),
  limit: queryInt(1, 1000).default(200),
  cursor: queryCursor(Number.MAX_SAFE_INTEGER).optional(),
})
export type HistoryQuery = z.output<typeof historyQuery>

export const busyHoursQuery = z.strictObject({
  weeks: queryInt(1, 52).default(8).meta({ description: 'How many past weeks to average (1–52)' }),
})

export const statusReport = z
  .object({
    id: z.number().int(),
    station_id: z.number().int(),
    occupancy: z.number().int(),
    charging_points_in_use: z.number().int().nullable(),
    supplies: z.record(z.string(), z.number().int()),
    note: z.string().nullable(),
    reported_by: z.string().nullable(),
    reported_at: z.string(),
    version: z.number().int(),
  })
  .meta({ id: 'StatusReport' })

export const busyHour = z.object({
  weekday: z
    .number()
    .int()
    .meta({ description: '1 = Monday … 7 = Sunday, in the station time zone' }),
  hour: z.number().int(),
  mean_occupancy: z.number(),
  reports: z.number().int(),
})

export const supplyAlert = z
  .object({
    alert_id: z.number().int(),
    station_id: z.number().int(),
    station_name: z.string(),
    item: z.enum(SUPPLIES),
    level: z.number().int().meta({ description: 'The level reported, 0–100 %' }),
    threshold: z.number().int().meta({ description: 'The station’s low threshold for the item' }),
    opened_at: z.iso.datetime(),
  })
  .meta({ id: 'SupplyAlert' })

export const alertsResponse = z.object({ alerts: z.array(supplyAlert) })

export function registerReportsApi(registry: OpenAPIRegistry) {
  registry.registerPath({
    method: 'post',
    path: '/api/v1/stations/{id}/reports',
    summary: "Report a station's occupancy and supplies",
    description:
      "Occupancy, chargers in use and supply levels, by that station's manager or an admin. " +
      'Idempotent by Idempotency-Key (per user, kept 48 h): the same key and body returns the ' +
      'first answer and writes nothing; the same key with another body is 422. If-Match takes ' +
      'the ETag of the station (or the bare status version) and gives 412 when the status has ' +
      'moved on. Occupancy may exceed seats (people standing) up to twice the capacity + 10; ' +
      'chargers in use up to the station’s charging points. A retired station is 409. Reports ' +
      'to one station are applied one after another; one that could not be applied amid a ' +
      'burst of others is 503 with Retry-After.',
    tags: ['reports'],
    request: {
      params: idParam,
      headers: z.object({
        'idempotency-key': idempotencyKey.meta({
          description: 'A new random value per report, reused only to retry it',
          example: '5f0b6c1e-6a51-4a53-9a3e-2b8f1a0c7d42',
        }),
        'if-match': ifMatch.optional(),
      }),
      body: {
        content: {
          'application/json': {
            schema: reportBody,
            example: { occupancy: 6, charging_points_in_use: 2, supplies: { drinking_water: 40 } },
          },
        },
      },
    },
    responses: {
      201: {
        description: 'Accepted: the station with its new status',
        headers: {
          ETag: {
            description: 'The new status version, for the next If-Match',
            schema: { type: 'string' },
          },
        },
        content: { 'application/json': { schema: station } },
      },
      ...problemResponses(400, 401, 403, 404, 409, 412, 422, 503),
    },
  })
  registry.registerPath({
    method: 'get',
    path: '/api/v1/stations/{id}/reports',
    summary: "A station's report history",
    description:
      'Reports newest first, paged with next_cursor; for the station’s managers, planners and ' +
      'admins.',
    tags: ['reports'],
    request: { params: idParam, query: historyQuery },
    responses: {
      200: {
        description: 'Reports',
        content: {
          'application/json': {
            schema: z.object({
              reports: z.array(statusReport),
              next_cursor: z
                .string()
                .nullable()
                .meta({ description: 'Pass as `cursor` for the next page; null on the last page' }),
            }),
          },
        },
      },
      ...problemResponses(400, 401, 403, 404),
    },
  })
  registry.registerPath({
    method: 'get',
    path: '/api/v1/stations/{id}/busy-hours',
    summary: 'Busy hours of a station',
    description:
      "Mean reported occupancy by weekday (1 = Monday) and hour in the station's time zone, " +
      'over the past weeks.',
    tags: ['reports'],
    request: { params: idParam, query: busyHoursQuery },
    responses: {
      200: {
        description: 'Busy hours',
        content: {
          'application/json': {
            schema: z.object({
              station_id: z.number().int(),
              timezone: z.string(),
              weeks: z.number().int(),
              hours: z.array(busyHour),
            }),
          },
        },
      },
      ...problemResponses(400, 404),
    },
  })
  registry.registerPath({
    method: 'get',
    path: '/api/v1/alerts',
    summary: 'Open low-stock alerts',
    description:
      'Alerts opened when a report put a supply below its threshold and not yet closed by a ' +
      'later report: a manager sees those of their stations, planners and admins all.',
    tags: ['reports'],
    responses: {
      200: {
        description: 'Open alerts, oldest first',
        content: { 'application/json': { schema: alertsResponse } },
      },
      ...problemResponses(401, 403),
    },
  })
}
