import { z } from 'zod'
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi'
import { bbox, latitude, longitude, queryBbox, queryInt, queryNumber } from '../http/params.ts'
import { problemResponses } from '../openapi.ts'

export const PLACE_KINDS = ['city', 'district', 'station', 'tianditu'] as const
export type PlaceKind = (typeof PLACE_KINDS)[number]

export const MAX_QUERY_LENGTH = 64

export const placesQuery = z
  .strictObject({
    q: z
      .string({ error: 'required, as one text' })
      .trim()
      .min(1, { error: 'must not be empty' })
      .max(MAX_QUERY_LENGTH, { error: `at most ${MAX_QUERY_LENGTH} characters` })
      .meta({
        description:
          'What to look for: a station name, code or address, a district or city; Chinese, ' +
          'pinyin in full or by initials (`wuyi`, `wygc`); a typo is forgiven',
        example: 'wuyi',
      }),
    limit: queryInt(1, 50).default(10).meta({ description: 'How many places (1–50)' }),
    lon: queryNumber(-180, 180)
      .optional()
      .meta({ description: 'With lat: places nearer this point rank first among equals' }),
    lat: queryNumber(-90, 90).optional().meta({ description: 'With lon' }),
    bbox: queryBbox.optional().meta({
      description:
        'west,south,east,north: the area in view; its centre ranks places like lon/lat, and ' +
        'the geocoder searches there',
    }),
  })
  .refine((q) => (q.lon === undefined) === (q.lat === undefined), {
    error: 'lon and lat go together',
    path: ['lon'],
  })
export type PlacesQuery = z.output<typeof placesQuery>

export const placeProperties = z
  .object({
    kind: z.enum(PLACE_KINDS).meta({
      description:
        '`city`, `district` and `station` come from our own data; `tianditu` from its geocoder',
    }),
    name: z.string(),
    province: z.string(),
    city: z.string().meta({ description: 'The city it is in (its own name for a city)' }),
    district: z.string().meta({ description: 'The district it is in; empty for a city' }),
    station_id: z.number().int().nullable().meta({ description: 'The station, for `station`' }),
    code: z.string().nullable().meta({ description: "The station's code, for `station`" }),
    address: z.string().nullable(),
  })
  .meta({ id: 'PlaceProperties' })
export type PlaceProperties = z.output<typeof placeProperties>

export const placeFeature = z
  .object({
    type: z.literal('Feature'),
    id: z.string().meta({
      description: 'Stable for our places (`station:12`, `district:长沙市/岳麓区`, `city:长沙市`)',
    }),
    geometry: z.object({
      type: z.literal('Point'),
      coordinates: z.tuple([longitude, latitude]).meta({
        description:
          '[lon, lat], WGS-84: a station, or the geometric median of the stations of a city or district',
      }),
    }),
    bbox: bbox.optional().meta({ description: "A city's or district's stations' extent" }),
    properties: placeProperties,
  })
  .meta({ id: 'Place' })
export type PlaceFeature = z.output<typeof placeFeature>

export const placesResponse = z
  .object({
    type: z.literal('FeatureCollection'),
    features: z.array(placeFeature),
  })
  .meta({ id: 'Places' })

export function registerPlacesApi(registry: OpenAPIRegistry) {
  registry.registerPath({
    method: 'get',
    path: '/api/v1/places',
    summary: 'Find a place by name',
    description:
      'Stations (not retired), districts and cities from our own data, best match first: ' +
      'typo-tolerant, case- and tone-insensitive, Chinese or pinyin (full or initials). With ' +
      "a Tianditu key configured, the geocoder's places follow ours (kind `tianditu`); when it " +
      'fails or is slow, ours come alone.',
    tags: ['places'],
    request: { query: placesQuery },
    responses: {
      200: {
        description: 'GeoJSON FeatureCollection of points, best match first',
        content: { 'application/geo+json': { schema: placesResponse } },
      },
      ...problemResponses(400),
    },
  })
}
