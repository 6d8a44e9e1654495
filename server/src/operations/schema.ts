import { z } from 'zod'
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi'
import { queryInt } from '../http/params.ts'
import { problemResponses } from '../openapi.ts'
import { supplyAlert } from '../reports/schema.ts'

export const operationsQuery = z.strictObject({
  stale_hours: queryInt(1, 720)
    .default(24)
    .meta({ description: 'A station without a report for this many hours is stale' }),
  limit: queryInt(1, 1000).default(200).meta({ description: 'Rows per list (counts are whole)' }),
})
export type OperationsQuery = z.output<typeof operationsQuery>

const place = {
  id: z.number().int(),
  code: z.string(),
  name: z.string(),
  city: z.string(),
  district: z.string(),
}

export const operations = z
  .object({
    stale_hours: z.number().int(),
    stale: z.array(
      z.object({
        ...place,
        reported_at: z.iso.datetime().nullable(),
        hours_since: z.number().nullable().meta({ description: 'null: never reported' }),
      }),
    ),
    alerts: z.array(supplyAlert),
    unmanaged: z.array(z.object(place)),
    counts: z.object({
      stale: z.number().int(),
      alerts: z.number().int(),
      unmanaged: z.number().int(),
    }),
  })
  .meta({ id: 'Operations' })

export function registerOperationsApi(registry: OpenAPIRegistry) {
  registry.registerPath({
    method: 'get',
    path: '/api/v1/operations',
    summary: 'What needs attention (admin)',
    description:
      "In the admin's region: active stations with no report for stale_hours (never-reported " +
      'first, then the oldest), open low-stock alerts (none at retired stations), and active ' +
      'stations without a manager. Counts are whole; each list stops at limit.',
    tags: ['operations'],
    request: { query: operationsQuery },
    responses: {
      200: { description: 'The lists', content: { 'application/json': { schema: operations } } },
      ...problemResponses(400, 401, 403),
    },
  })
}
