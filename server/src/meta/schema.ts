import { z } from 'zod'
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi'
import { bbox } from '../http/params.ts'

export const basemap = z
  .discriminatedUnion('kind', [
    z
      .object({ kind: z.literal('offline') })
      .meta({ description: 'The bundled style: the region outline and its place names' }),
    z.object({
      kind: z.literal('tianditu'),
      key: z.string().meta({ description: 'Tianditu browser key, sent as tk= with each tile' }),
    }),
    z.object({
      kind: z.literal('pmtiles'),
      url: z.string().meta({
        description: 'Path of the PMTiles file (Protomaps basemap schema) on this server',
        example: '/basemap/hunan.pmtiles?v=2x1c-m0f3k2',
      }),
    }),
    z.object({
      kind: z.literal('osm'),
      tiles: z.string().meta({ description: 'Raster tile URL with {z}, {x} and {y}' }),
      attribution: z.string(),
    }),
    z.object({
      kind: z.literal('style'),
      url: z.string().meta({ description: 'A MapLibre style URL' }),
    }),
  ])
  .meta({ id: 'Basemap', description: 'What the map draws under the stations' })

export const meta = z
  .object({
    basemap,
    mapStyleUrl: z.string().nullable().meta({
      description: 'The style URL when basemap.kind is style, else null (kept for older clients)',
    }),
    bounds: bbox.nullable().meta({
      description:
        '[west, south, east, north] of all stations that are not retired; null when none',
    }),
    stations: z.number().int(),
  })
  .meta({ id: 'Meta' })

export function registerMetaApi(registry: OpenAPIRegistry) {
  registry.registerPath({
    method: 'get',
    path: '/api/v1/meta',
    summary: 'Start-up facts for the web app',
    description: 'The basemap, the extent of the stations and how many there are.',
    tags: ['meta'],
    responses: { 200: { description: 'Meta', content: { 'application/json': { schema: meta } } } },
  })
}
