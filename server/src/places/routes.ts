import { Router } from 'express'
import type { Knex } from 'knex'
import { parse } from '../errors.ts'
import { placesQuery, type PlaceFeature } from './schema.ts'
import { normalize, PlaceIndex } from './service.ts'
import { searchTianditu, type TiandituConfig } from './tianditu.ts'

/**
 * Place search for the search boxes: ours first; with a Tianditu key, the geocoder's places
 * after them (up to half of `limit`, not those named like one of ours). A geocoder that fails
 * or is slow leaves ours alone: it is logged, never the client's problem.
 */
export function placeRoutes(
  knex: Knex,
  config: TiandituConfig,
  log: (err: unknown) => void = () => {},
) {
  const router = Router()
  const index = new PlaceIndex(knex)

  router.get('/places', async (req, res) => {
    const q = parse(placesQuery, req.query, 'query')
    const near =
      q.lon !== undefined && q.lat !== undefined
        ? { lon: q.lon, lat: q.lat }
        : q.bbox && { lon: (q.bbox[0] + q.bbox[2]) / 2, lat: (q.bbox[1] + q.bbox[3]) / 2 }
    const places = await index.places()
    const ours = places.search(q.q, { limit: q.limit, near })
    let theirs: PlaceFeature[] = []
    if (config.TIANDITU_KEY) {
      try {
        const named = new Set(ours.map((f) => normalize(f.properties.name)))
        theirs = (await searchTianditu(config, q.q, q.bbox ?? places.extent, q.limit))
          .filter((f) => !named.has(normalize(f.properties.name)))
          .slice(0, Math.floor(q.limit / 2))
      } catch (err) {
        log(err)
      }
    }
    const features = [...ours.slice(0, q.limit - theirs.length), ...theirs]
    res.type('application/geo+json').json({ type: 'FeatureCollection', features })
  })

  return router
}
