import { z } from 'zod'
import { queryInt } from '../http/params.ts'

/** The coordinate reference systems a collection may answer in (OGC API – Features Part 2). */
export const CRS = {
  CRS84: { uri: 'http://www.opengis.net/def/crs/OGC/1.3/CRS84', srid: 4326, latFirst: false },
  EPSG4326: { uri: 'http://www.opengis.net/def/crs/EPSG/0/4326', srid: 4326, latFirst: true },
  /** CGCS2000, China's geodetic datum, which official GIS data in China uses. */
  EPSG4490: { uri: 'http://www.opengis.net/def/crs/EPSG/0/4490', srid: 4490, latFirst: true },
  EPSG3857: { uri: 'http://www.opengis.net/def/crs/EPSG/0/3857', srid: 3857, latFirst: false },
} as const
export type CrsId = keyof typeof CRS
export type Crs = (typeof CRS)[CrsId]

const byUri = new Map<string, Crs>(Object.values(CRS).map((c) => [c.uri, c]))
// `[EPSG:4326]` safe CURIEs and short EPSG codes, which clients and people also write
const CURIE = /^\[?(EPSG|OGC):(\d+|CRS84)\]?$/i
function crsOf(input: string): Crs | undefined {
  const curie = CURIE.exec(input)
  if (!curie) return byUri.get(input)
  const [, authority, code] = curie
  return authority!.toUpperCase() === 'OGC'
    ? code!.toUpperCase() === 'CRS84'
      ? CRS.CRS84
      : undefined
    : byUri.get(`http://www.opengis.net/def/crs/EPSG/0/${code}`)
}

const crsParam = z
  .string()
  .transform((input, ctx) => {
    const crs = crsOf(input)
    if (crs) return crs
    ctx.addIssue({ code: 'custom', message: 'is not a CRS this collection offers (see its crs)' })
    return z.NEVER
  })
  .meta({
    param: { schema: { type: 'string', format: 'uri' } },
    example: CRS.EPSG4326.uri,
  })

/** An RFC 3339 instant, or an interval `start/end` with `..` (or nothing) for an open end. */
const datetimeParam = z
  .string()
  .max(100)
  .transform((input, ctx) => {
    const instant = (s: string) => {
      if (s === '..' || s === '') return undefined
      const d = z.iso.datetime({ offset: true }).safeParse(s).success ? new Date(s) : null
      if (!d) throw new Error(s)
      return d
    }
    try {
      const parts = input.split('/')
      if (parts.length > 2) throw new Error(input)
      if (parts.length === 1) {
        const at = instant(parts[0]!)
        if (!at) throw new Error(input)
        return { from: at, to: at }
      }
      const from = instant(parts[0]!)
      const to = instant(parts[1]!)
      if (from && to && from > to) throw new Error(input)
      return { from, to }
    } catch {
      ctx.addIssue({
        code: 'custom',
        message:
          'must be an RFC 3339 date-time (2026-12-04T08:00:00Z) or an interval ' +
          'start/end with .. for an open end',
      })
      return z.NEVER
    }
  })
  .meta({
    description:
      'Features whose time (see the collection) lies at this instant or in this interval',
    example: '2026-12-04T00:00:00Z/..',
  })

const bboxParam = z
  .string()
  .max(300)
  .transform((input, ctx) => {
    const n = input.split(',').map((x) => (x.trim() === '' ? NaN : Number(x)))
    if ((n.length === 4 || n.length === 6) && n.every(Number.isFinite)) {
      // heights, when given, are not used: the stations lie on the ground
      const [minX, minY, maxX, maxY] = n.length === 4 ? n : [n[0]!, n[1]!, n[3]!, n[4]!]
      if (minX! < maxX! && minY! < maxY!) return [minX!, minY!, maxX!, maxY!] as const
    }
    ctx.addIssue({
      code: 'custom',
      message: 'bbox must be four (or six) numbers, lower corner first, in bbox-crs (CRS84)',
    })
    return z.NEVER
  })
  .meta({
    description:
      'Lower left and upper right corners, in the axis order of bbox-crs (CRS84: ' +
      'lon,lat,lon,lat)',
    example: '112.9,28.1,113.05,28.25',
    param: { style: 'form', explode: false },
  })

export const FORMATS = ['json', 'html'] as const
export const MAX_LIMIT = 10_000

/** The query parameters every OGC resource may take. */
export const formatParams = z.object({
  f: z
    .enum(FORMATS)
    .optional()
    .meta({ description: 'json, or html for a page a person can read (default: by Accept)' }),
})

/** The query parameters of every items request; each collection adds its own filters. */
export const itemsParams = formatParams.extend({
  limit: queryInt(1, MAX_LIMIT)
    .default(10)
    .meta({ description: `Features per page (1–${MAX_LIMIT.toLocaleString('en')})` }),
  offset: queryInt(0, 100_000_000).default(0).meta({ description: 'Features to skip' }),
  bbox: bboxParam.optional(),
  'bbox-crs': crsParam.optional().meta({ description: 'The CRS of bbox (default CRS84)' }),
  crs: crsParam.optional().meta({ description: 'The CRS of the answer (default CRS84)' }),
})
export type ItemsParams = z.output<typeof itemsParams>

export const timedItemsParams = itemsParams.extend({ datetime: datetimeParam.optional() })

/** One feature: `f` and `crs` only. */
export const featureParams = formatParams.extend({ crs: itemsParams.shape.crs })

export const featureIdParam = z.object({
  featureId: z.string().min(1).max(100).meta({ description: 'The feature’s id' }),
})

/** A link as OGC API – Common defines it. */
export const link = z
  .object({
    href: z.string(),
    rel: z.string(),
    type: z.string().optional(),
    title: z.string().optional(),
  })
  .meta({ id: 'Link' })
export type Link = z.output<typeof link>

export const landingPage = z
  .object({ title: z.string(), description: z.string(), links: z.array(link) })
  .meta({ id: 'LandingPage' })

export const conformance = z.object({ conformsTo: z.array(z.string()) }).meta({ id: 'ConfClasses' })

export const collection = z
  .object({
    id: z.string(),
    title: z.string(),
    description: z.string(),
    itemType: z.literal('feature'),
    extent: z.object({
      spatial: z.object({
        bbox: z.array(z.tuple([z.number(), z.number(), z.number(), z.number()])),
        crs: z.string(),
      }),
      temporal: z
        .object({ interval: z.array(z.tuple([z.string().nullable(), z.string().nullable()])) })
        .optional(),
    }),
    crs: z.array(z.string()),
    storageCrs: z.string(),
    links: z.array(link),
  })
  .meta({ id: 'Collection' })
export type Collection = z.output<typeof collection>

export const collections = z
  .object({ links: z.array(link), collections: z.array(collection) })
  .meta({ id: 'Collections' })

const position = z.array(z.number()).min(2).max(3)
const geometry = z
  .union([
    z.object({ type: z.literal('Point'), coordinates: position }),
    z.object({ type: z.literal('Polygon'), coordinates: z.array(z.array(position)) }),
  ])
  .meta({ id: 'Geometry', description: 'GeoJSON geometry, in the answer’s CRS' })

export const feature = z
  .object({
    type: z.literal('Feature'),
    id: z.union([z.number(), z.string()]),
    geometry,
    // any values: a plain object whose fields each collection's schema (describedby) types
    properties: z.record(z.string(), z.unknown()).meta({
      description: 'The collection’s properties: see its schema (the describedby link)',
      additionalProperties: {},
    }),
    links: z.array(link).optional(),
  })
  .meta({ id: 'Feature' })
export type Feature = z.output<typeof feature>

export const featureCollection = z
  .object({
    type: z.literal('FeatureCollection'),
    features: z.array(feature),
    numberMatched: z.number().int(),
    numberReturned: z.number().int(),
    links: z.array(link),
  })
  .meta({ id: 'FeatureCollectionGeoJSON' })
