import { z } from 'zod'
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi'
import { AMENITIES } from '../../../contract/vocabulary.ts'
import {
  idempotencyKey,
  MAX_INT_ID,
  latitude,
  longitude,
  queryBbox,
  queryCursor,
  queryInt,
} from '../http/params.ts'
import { problemResponses } from '../openapi.ts'
import { pointFeaturePageSchema } from '../http/paging.ts'

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

const stationRequestShape = {
  id: z.number().int(),
  note: z.string(),
  amenities: z.array(z.enum(AMENITIES)),
  created_at: z.string(),
}

const stationRequest = z.object({ ...stationRequestShape, location }).meta({ id: 'StationRequest' })

export const stationRequestPage = pointFeaturePageSchema(
  z.object(stationRequestShape).meta({ id: 'StationRequestProperties' }),
)

export function registerStationRequestsApi(registry: OpenAPIRegistry) {
  registry.registerPath({
    method: 'post',
    path: '/api/v1/station-requests',
    summary: 'Ask for a station here',
    description:
      'Anonymous, limited per client address (429 with Retry-After). Each request counts as ' +
      'demand of weight 1 in the coverage analyses. With an Idempotency-Key (an app sending ' +
      'what it queued offline), a retry under the same key records nothing and returns the ' +
      'first request.',
    tags: ['station requests'],
    request: {
      headers: z.object({
        'idempotency-key': idempotencyKey.optional().meta({
          description: 'A client-made unique key (a UUID) for this request',
        }),
      }),
      body: { content: { 'application/json': { schema: createRequestBody } } },
    },
    responses: {
      201: { description: 'Recorded', content: { 'application/json': { schema: stationRequest } } },
      200: {
        description: 'Already recorded under this Idempotency-Key: the first request',
        content: { 'application/json': { schema: stationRequest } },
      },
      ...problemResponses(400, 429),
    },
  })
  registry.registerPath({
    method: 'get',
    path: '/api/v1/station-requests',
    summary: 'Station requests in a bounding box (GeoJSON, paged)',
    description:
      'For planners and admins: the requests inside the bbox, oldest first. Pass next_cursor ' +
      'as cursor for the next page.',
    tags: ['station requests'],
    request: { query: listRequestsQuery },
    responses: {
      200: {
        description:
          'GeoJSON FeatureCollection, oldest first; pass next_cursor as cursor for the next page',
        content: {
          'application/geo+json': {
            schema: stationRequestPage,
          },
        },
      },
      ...problemResponses(400, 401, 403),
    },
  })
}
