import { z } from 'zod'
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi'
import { bbox } from '../http/params.ts'

export const meta = z
  .object({
    mapStyleUrl: z
      .string()
      .nullable()
      .meta({ description: 'Basemap style; null means use the bundled offline style' }),
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
    description: 'The basemap style, the extent of the stations and how many there are.',
    tags: ['meta'],
    responses: { 200: { description: 'Meta', content: { 'application/json': { schema: meta } } } },
  })
}
