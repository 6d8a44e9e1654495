import { Router } from 'express'
import type { Knex } from 'knex'
import type { z } from 'zod'
import type { Config } from '../config.ts'
import { pmtilesUrl } from '../basemap/routes.ts'
import type { basemap } from './schema.ts'

function basemapOf(config: Config): z.output<typeof basemap> {
  switch (config.BASEMAP) {
    case 'tianditu':
      return { kind: 'tianditu', key: config.TIANDITU_KEY! }
    case 'pmtiles':
      return { kind: 'pmtiles', url: pmtilesUrl(config)! }
    case 'osm':
      return { kind: 'osm', tiles: config.OSM_TILE_URL, attribution: config.OSM_ATTRIBUTION }
    case 'style':
      return { kind: 'style', url: config.MAP_STYLE_URL! }
    case 'offline':
      return { kind: 'offline' }
  }
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
    const map = basemapOf(config)
    res.json({
      basemap: map,
      mapStyleUrl: map.kind === 'style' ? map.url : null,
      bounds: row?.n ? [row.w, row.s, row.e, row.n2] : null,
      stations: row?.n ?? 0,
    })
  })
  return router
}
