import { z } from 'zod'
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi'
import { problemResponses } from '../openapi.ts'
import { bbox } from '../http/params.ts'

/** The zoom levels the tile route serves (the TileJSON says the same). */
export const MIN_ZOOM = 0
export const MAX_ZOOM = 22

/** A tile has one URL: digits without leading zeros, so caches never hold a tile twice. */
export const TILE_NUMBER = /^(0|[1-9][0-9]{0,7})$/

const tileNumber = (max: number) =>
  z
    .string()
    .regex(TILE_NUMBER, 'must be a whole number without leading zeros')
    .transform(Number)
    .pipe(z.number().max(max))

export const tileParams = z
  .strictObject({
    z: tileNumber(MAX_ZOOM),
    x: tileNumber(2 ** MAX_ZOOM),
    y: tileNumber(2 ** MAX_ZOOM),
  })
  .refine((t) => t.x < 2 ** t.z && t.y < 2 ** t.z, { message: 'x and y must be below 2^z' })

/** A feature property's type, in the words TileJSON readers (MapLibre, QGIS) use. */
export const fieldType = z.enum(['String', 'Number', 'Boolean'])

export const tileJson = z
  .object({
    tilejson: z.literal('3.0.0'),
    name: z.string(),
    description: z.string(),
    attribution: z.string(),
    scheme: z.literal('xyz'),
    tiles: z.array(z.url()).meta({ description: 'Absolute tile URL with {z}, {x} and {y}' }),
    minzoom: z.number().int(),
    maxzoom: z.number().int(),
    bounds: bbox.meta({
      description:
        "[west, south, east, north] of the stations that are not retired; China's while there are none",
    }),
    center: z
      .tuple([z.number(), z.number(), z.number().int()])
      .meta({ description: '[lon, lat, zoom]: the middle of bounds, at a zoom that shows them' }),
    vector_layers: z.array(
      z.object({
        id: z.string(),
        description: z.string(),
        minzoom: z.number().int(),
        maxzoom: z.number().int(),
        fields: z.record(z.string(), fieldType).meta({
          description: 'Each feature property and its type',
          example: { name: 'String', capacity: 'Number', open_now: 'Boolean' },
        }),
      }),
    ),
  })
  .meta({ id: 'TileJSON', description: 'TileJSON 3.0.0 for the station tiles' })

export function registerTilesApi(registry: OpenAPIRegistry) {
  registry.registerPath({
    method: 'get',
    path: '/api/v1/tiles/stations.json',
    summary: 'TileJSON of the station tiles',
    description:
      'A TileJSON 3.0.0 document for the station vector tiles, so MapLibre, QGIS and others ' +
      'can add them by this one URL: the tile URL, zoom range, extent of the stations and ' +
      'the properties of the `stations` layer with their types. Cached for five minutes; ' +
      'If-None-Match with its ETag answers 304.',
    tags: ['tiles'],
    responses: {
      200: {
        description: 'The TileJSON',
        headers: {
          ETag: { description: 'Send back as If-None-Match', schema: { type: 'string' } },
        },
        content: { 'application/json': { schema: tileJson } },
      },
      304: { description: 'Not modified since the ETag given in If-None-Match' },
    },
  })

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
        z: z.number().int().min(MIN_ZOOM).max(MAX_ZOOM),
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
