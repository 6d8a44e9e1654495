import { Router } from 'express'
import type { Knex } from 'knex'
import type { Config } from '../config.ts'

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
