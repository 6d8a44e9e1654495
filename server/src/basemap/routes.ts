import fs from 'node:fs'
import path from 'node:path'
import { Router } from 'express'
import type { Config } from '../config.ts'
import { HttpError, notFound } from '../errors.ts'

/** Where the configured PMTiles file is served; the web reads it with range requests. */
export const BASEMAP_PATH = '/basemap'

/** Changes whenever the file is replaced, so its URL can be cached for good. */
function fileVersion(file: string): string {
  const { size, mtimeMs } = fs.statSync(file)
  return `${size.toString(36)}-${Math.floor(mtimeMs).toString(36)}`
}

/** The URL of the configured PMTiles file (versioned), or null when there is none. */
export function pmtilesUrl(config: Config): string | null {
  if (config.BASEMAP !== 'pmtiles' || !config.PMTILES_FILE) return null
  const file = config.PMTILES_FILE
  return `${BASEMAP_PATH}/${encodeURIComponent(path.basename(file))}?v=${fileVersion(file)}`
}

/**
 * Serves the configured PMTiles file by byte ranges (206, Accept-Ranges, ETag and If-Range,
 * 416 for a range past its end). Never compressed: a range is of the file's own bytes.
 */
export function basemapRoutes(config: Config) {
  const router = Router()
  const file = config.BASEMAP === 'pmtiles' ? config.PMTILES_FILE : undefined
  if (!file) return router
  const name = path.basename(file)
  router.get(`${BASEMAP_PATH}/:name`, (req, res, next) => {
    if (req.params.name !== name) return next(notFound(`No basemap ${req.params.name}`))
    // The versioned URL from meta never changes content; an unversioned one may. Its tiles are
    // compressed already, and a range counts the file's own bytes: no-transform, for proxies
    // and for our own compression alike.
    const current = req.query.v === fileVersion(file)
    res.setHeader(
      'Cache-Control',
      current
        ? 'public, max-age=31536000, immutable, no-transform'
        : 'public, max-age=0, must-revalidate, no-transform',
    )
    res.type('application/octet-stream')
    res.sendFile(
      path.resolve(file),
      { cacheControl: false },
      (err?: Error & { status?: number; headers?: Record<string, string> }) => {
        if (!err) return
        if (err.status === 416)
          return next(
            new HttpError(
              416,
              'Range Not Satisfiable',
              'The range lies outside the file',
              undefined,
              err.headers,
            ),
          )
        next(err)
      },
    )
  })
  return router
}

/** Origins the page must be allowed to load the basemap (style, tiles) from. */
export function basemapOrigins(config: Config): string[] {
  if (config.BASEMAP === 'style' && config.MAP_STYLE_URL)
    return [new URL(config.MAP_STYLE_URL).origin]
  if (config.BASEMAP === 'osm') return [new URL(config.OSM_TILE_URL.replace(/[{}]/g, '')).origin]
  return []
}
