import { z } from 'zod'
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi'
import { AMENITIES } from '../../../contract/vocabulary.ts'
import {
  MAX_INT_ID,
  latitude,
  longitude,
  queryBbox,
  queryCursor,
  queryInt,
} from '../http/params.ts'
import { problemResponses } from '../openapi.ts'

const location = z.strictObject({ lon: longitude, lat: latitude })

export const createRequestBody = z.strictObject({
  location: location.meta({ description: 'Where a station is needed, WGS-84 degrees' }),
  note: z
    .string()
    .trim()
    .max(500)
    .default('')
    .meta({ description: 'Why here, up to 500 characters', example: '超市门口，骑手很多' }),
  amenities: z
    .array(z.enum(AMENITIES))
    .max(AMENITIES.length)
    .refine((a) => new Set(a).size === a.length, { message: 'amenities must not repeat' })
    .default([])
    .meta({ description: 'What the station should offer' }),
})
export type CreateRequest = z.output<typeof createRequestBody>

export const listRequestsQuery = z.strictObject({
  bbox: queryBbox,
  limit: queryInt(1, 1000).default(500).meta({ description: 'Features per page (1–1000)' }),
  cursor: queryCursor(MAX_INT_ID).optional(),
})
export type ListRequestsQuery = z.output<typeof listRequestsQuery>

const stationRequest = z
  .object({
    id: z.number().int(),
    location,
    note: z.string(),
    amenities: z.array(z.enum(AMENITIES)),
    created_at: z.string(),
  })
  .meta({ id: 'StationRequest' })

export function registerStationRequestsApi(registry: OpenAPIRegistry) {
  registry.registerPath({
    method: 'post',
    path: '/api/v1/station-requests',
    summary:
      'Ask for a station here (anonymous, rate-limited per client address). ' +
      'Each request counts as demand of weight 1 in coverage analyses.',
    tags: ['station requests'],
    request: { body: { content: { 'application/json': { schema: createRequestBody } } } },
    responses: {
      201: { description: 'Recorded', content: { 'application/json': { schema: stationRequest } } },
      ...problemResponses(400, 429),
    },
  })
  registry.registerPath({
    method: 'get',
    path: '/api/v1/station-requests',
    summary:
      'Station requests in a bounding box as a paged GeoJSON FeatureCollection (planner, admin)',
    tags: ['station requests'],
    request: { query: listRequestsQuery },
    responses: {
      200: {
        description:
          'GeoJSON FeatureCollection, oldest first; pass next_cursor as cursor for the next page',
        content: {
          'application/geo+json': {
            schema: z.object({
              type: z.literal('FeatureCollection'),
              features: z.array(z.unknown()),
              next_cursor: z.string().nullable(),
            }),
          },
        },
      },
      ...problemResponses(400, 401, 403),
    },
  })
}
