import { Router } from 'express'
import type { Knex } from 'knex'
import { parse } from '../errors.ts'
import type { StatusRules } from '../stations/status.ts'
import { MAX_ZOOM, TILE_NUMBER, tileParams } from './schema.ts'
import { stationsExtent, type TileRenderer } from './queries.ts'
import { stationsTileJson } from './tilejson.ts'
import type { CachedTile, TileCache } from './cache.ts'
import { sendAnswer, type HotAnswer, type HotRoute } from '../http/hot.ts'

/**
 * A tile's answer: at once from the cache, or once rendered (and cached). Short-lived for
 * browsers: the tiles carry live availability.
 */
function tileAnswer(rules: () => StatusRules, render: TileRenderer, cache?: TileCache) {
  const type = 'application/vnd.mapbox-vector-tile'
  const maxAge = { 'Cache-Control': 'public, max-age=15' }
  const fromCache = (tile: CachedTile, hit: boolean): HotAnswer => ({
    type,
    body: tile.body,
    etag: tile.etag,
    headers: { ...maxAge, 'X-Cache': hit ? 'hit' : 'miss' },
  })
  return (z: number, x: number, y: number): HotAnswer | Promise<HotAnswer> => {
    const now = rules()
    if (!cache)
      return render(z, x, y, now).then((t) => ({
        type,
        body: t.body,
        etag: 'weak',
        headers: maxAge,
      }))
    const tile = cache.cached(z, x, y, now)
    if (tile) return fromCache(tile, true)
    return cache.get(z, x, y, now).then((found) => fromCache(found.tile, found.hit))
  }
}

export function tileRoutes(
  knex: Knex,
  rules: () => StatusRules,
  render: TileRenderer,
  cache?: TileCache,
) {
  const router = Router()
  const answer = tileAnswer(rules, render, cache)
  router.get('/tiles/stations.json', async (req, res) => {
    // Absolute, as TileJSON readers outside the browser need it; the proxy's scheme and host.
    const url = `${req.protocol}://${req.get('host')}${req.baseUrl}/tiles/stations/{z}/{x}/{y}.mvt`
    // Express's ETag answers a conditional GET with 304.
    res.setHeader('Cache-Control', 'public, max-age=300')
    res.json(stationsTileJson(url, await stationsExtent(knex)))
  })
  router.get('/tiles/stations/:z/:x/:y.mvt', async (req, res) => {
    const { z, x, y } = parse(tileParams, req.params, 'path')
    sendAnswer(req, res, await answer(z, x, y))
  })
  return router
}

/**
 * A tile ahead of Express (http/hot.ts), answered as the route above answers it. Only a
 * plainly valid tile is answered here, without zod; anything else (leading zeros, past the
 * edge of its zoom) goes to Express, which parses it and answers 400.
 */
export function tileHotRoute(
  base: string,
  rules: () => StatusRules,
  render: TileRenderer,
  cache?: TileCache,
): HotRoute {
  const n = TILE_NUMBER.source.slice(1, -1)
  const path = new RegExp(`^${base}/tiles/stations/${n}/${n}/${n}\\.mvt$`)
  const answer = tileAnswer(rules, render, cache)
  return {
    label: `${base}/tiles/stations/:z/:x/:y.mvt`,
    match: (p) => path.exec(p)?.slice(1),
    answer(_query, params) {
      const [z, x, y] = params.map(Number) as [number, number, number]
      if (z > MAX_ZOOM || x >= 2 ** z || y >= 2 ** z) return undefined
      return answer(z, x, y)
    },
  }
}
