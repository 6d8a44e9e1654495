import { z } from 'zod'
import { latitude, longitude } from './params.ts'

/**
 * Keyset paging by id: the query asks for `limit + 1` rows ordered by id, and the extra row
 * only says there is a next page, whose cursor is the last id shown.
 */
export function keysetPage<T extends { id: number }>(rows: T[], limit: number) {
  const page = rows.slice(0, limit)
  return { page, next_cursor: rows.length > limit ? String(page[page.length - 1]!.id) : null }
}

/** A page of items with a location as an RFC 7946 FeatureCollection of points. */
export function pointFeaturePage<
  R extends { id: number },
  I extends { location: { lon: number; lat: number } },
>(rows: R[], limit: number, toItem: (row: R) => I) {
  const { page, next_cursor } = keysetPage(rows, limit)
  return {
    type: 'FeatureCollection' as const,
    features: page.map((r) => {
      const { location, ...properties } = toItem(r)
      return {
        type: 'Feature' as const,
        id: r.id,
        geometry: { type: 'Point' as const, coordinates: [location.lon, location.lat] },
        properties,
      }
    }),
    next_cursor,
  }
}

/** The OpenAPI schema of an RFC 7946 FeatureCollection of points with these properties. */
export function pointFeatureCollectionSchema<P extends z.ZodType>(properties: P) {
  return z.object({
    type: z.literal('FeatureCollection'),
    features: z.array(
      z.object({
        type: z.literal('Feature'),
        id: z.number().int(),
        geometry: z.object({
          type: z.literal('Point'),
          coordinates: z.tuple([longitude, latitude]).meta({ description: '[lon, lat], WGS-84' }),
        }),
        properties,
      }),
    ),
  })
}

/** The OpenAPI schema of a `pointFeaturePage` whose features have these properties. */
export function pointFeaturePageSchema<P extends z.ZodType>(properties: P) {
  return pointFeatureCollectionSchema(properties).extend({
    next_cursor: z
      .string()
      .nullable()
      .meta({ description: 'Pass as `cursor` for the next page; null on the last page' }),
  })
}
