import { z } from 'zod'
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi'
import { problemResponses } from '../openapi.ts'
import { queryInt } from '../http/params.ts'

export const tileParams = z
  .strictObject({ z: queryInt(0, 22), x: queryInt(0, 2 ** 22), y: queryInt(0, 2 ** 22) })
  .refine((t) => t.x < 2 ** t.z && t.y < 2 ** t.z, { message: 'x and y must be below 2^z' })

export function registerTilesApi(registry: OpenAPIRegistry) {
  registry.registerPath({
    method: 'get',
    path: '/api/v1/tiles/stations/{z}/{x}/{y}.mvt',
    summary: 'Station vector tile',
    description:
      'A Mapbox Vector Tile (layer `stations`) with live availability in the feature ' +
      'properties. Below zoom 12 stations closer than 1/512 of the tile collapse into one ' +
      'feature with point_count.',
    tags: ['tiles'],
    request: {
      params: z.object({
        z: z.number().int().min(0).max(22),
        x: z.number().int().min(0).meta({ description: 'Column, 0 to 2^z − 1' }),
        y: z.number().int().min(0).meta({ description: 'Row, 0 to 2^z − 1 (from the north)' }),
      }),
    },
    responses: {
      200: {
        description: 'The tile (may be empty)',
        content: {
          'application/vnd.mapbox-vector-tile': { schema: z.string().meta({ format: 'binary' }) },
        },
      },
      ...problemResponses(400),
    },
  })
}
