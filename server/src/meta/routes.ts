import { Router } from 'express'
import type { Knex } from 'knex'
import { z } from 'zod'
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi'
import type { Config } from '../config.ts'

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

export function metaRoutes(knex: Knex, config: Config) {
  const router = Router()
  router.get('/meta', async (_req, res) => {
    const row = await knex('stations')
      .whereNot('state', 'retired')
      .select(
        knex.raw('count(*)::int AS n'),
        knex.raw(`ST_XMin(ST_Extent(location::geometry)) AS w, ST_YMin(ST_Extent(location::geometry)) AS s,
                  ST_XMax(ST_Extent(location::geometry)) AS e, ST_YMax(ST_Extent(location::geometry)) AS n2`),
      )
      .first()
    res.json({
      mapStyleUrl: config.MAP_STYLE_URL ?? null,
      bounds: row?.n ? [row.w, row.s, row.e, row.n2] : null,
      stations: row?.n ?? 0,
    })
  })
  return router
}
