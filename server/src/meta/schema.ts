import { z } from 'zod'
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi'

const meta = z
  .object({
    mapStyleUrl: z
      .string()
      .nullable()
      .meta({ description: 'Basemap style; null means use the bundled offline style' }),
    bounds: z
      .array(z.number())
      .length(4)
      .nullable()
      .meta({ description: 'w,s,e,n of all stations' }),
    stations: z.number().int(),
  })
  .meta({ id: 'Meta' })

export function registerMetaApi(registry: OpenAPIRegistry) {
  registry.registerPath({
    method: 'get',
    path: '/api/v1/meta',
    summary: 'What the web app needs to start: basemap, extent, station count',
    tags: ['meta'],
    responses: { 200: { description: 'Meta', content: { 'application/json': { schema: meta } } } },
  })
}
