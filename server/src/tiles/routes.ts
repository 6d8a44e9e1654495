import { Router } from 'express'
import type { Knex } from 'knex'
import { parse } from '../errors.ts'
import type { StatusRules } from '../stations/status.ts'
import { tileParams } from './schema.ts'
import { stationsTile } from './queries.ts'

export function tileRoutes(knex: Knex, rules: () => StatusRules) {
  const router = Router()
  router.get('/tiles/stations/:z/:x/:y.mvt', async (req, res) => {
    const { z, x, y } = parse(tileParams, req.params, 'path')
    const tile = await stationsTile(knex, z, x, y, rules())
    // Short: the tiles carry live availability.
    res.setHeader('Cache-Control', 'public, max-age=15')
    res.type('application/vnd.mapbox-vector-tile').send(tile)
  })
  return router
}
