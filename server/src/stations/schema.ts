import { z } from 'zod'
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi'
import {
  AMENITIES,
  AVAILABILITIES,
  STATION_STATES,
  SUPPLIES,
} from '../../../contract/vocabulary.ts'
import {
  MAX_INT_ID,
  idParam,
  latitude,
  longitude,
  queryBbox,
  queryBool,
  queryCursor,
  queryInt,
  queryList,
  queryNumber,
} from '../http/params.ts'
import { pointFeaturePageSchema } from '../http/paging.ts'
import { isValidTimeZone, openingHoursError } from './openingHours.ts'
import { problemResponses } from '../openapi.ts'

export const MAX_RADIUS_M = 200_000
export const MAX_OPEN_FOR_MINUTES = 720
export const NEAREST_ORDERS = ['open_first', 'distance'] as const

export const nearestQuery = z
  .strictObject({
    lat: queryNumber(-90, 90).meta({ description: 'Latitude, WGS-84 degrees' }),
    lon: queryNumber(-180, 180).meta({ description: 'Longitude, WGS-84 degrees' }),
    limit: queryInt(1, 50).default(5).meta({ description: 'How many stations (1–50)' }),
    radius_m: queryNumber(1, MAX_RADIUS_M)
      .optional()
      .meta({ description: 'Only stations within this many metres (up to 200,000)' }),
    amenities: queryList(AMENITIES).optional(),
    supplies: queryList(SUPPLIES).optional().meta({
      description: 'Only stations whose level of each of these is at or above its low threshold',
    }),
    open_now: queryBool
      .optional()
      .meta({ description: 'Only stations open now (their opening_hours in their time zone)' }),
    available: queryBool.optional().meta({
      description:
        'Only stations whose availability is `open` (open, fresh report, a free seat); asked ' +
        'together with the amenity `ebike_charging`, also a free charger',
    }),
    open_for: queryInt(0, MAX_OPEN_FOR_MINUTES)
      .optional()
      .meta({
        description:
          'Only stations open now that stay open at least this many more minutes (0–720); ' +
          'implies open_now',
        example: 15,
      }),
    order: z
      .enum(NEAREST_ORDERS)
      .default('open_first')
      .meta({
        description:
          '`open_first`: stations open now with room first (a free seat, or no fresh report to ' +
          'say otherwise; with `ebike_charging` asked, a free charger too), then open but full ' +
          'ones, then those closed now (outside their hours or temporarily closed), each group ' +
          'nearest first. `distance`: nearest first, whatever their state',
      }),
  })
  .refine((q) => q.open_for === undefined || q.open_now !== false, {
    message: 'open_for asks for stations open now: it cannot go with open_now=false',
    path: ['open_for'],
  })
export type NearestQuery = z.output<typeof nearestQuery>

export const bboxQuery = z.strictObject({
  bbox: queryBbox,
  amenities: queryList(AMENITIES).optional(),
  limit: queryInt(1, 1000).default(500).meta({ description: 'Features per page (1–1000)' }),
  cursor: queryCursor(MAX_INT_ID).optional(),
})
export type BboxQuery = z.output<typeof bboxQuery>

const location = z.strictObject({ lon: longitude, lat: latitude })

export const adminStationsQuery = z.strictObject({
  q: z
    .string()
    .trim()
    .min(1)
    .max(100)
    .optional()
    .meta({ description: 'Part of the code, name or address' }),
  state: z.enum(STATION_STATES).optional(),
  limit: queryInt(1, 500).default(100),
  cursor: queryCursor(MAX_INT_ID).optional(),
})
export type AdminStationsQuery = z.output<typeof adminStationsQuery>

const openingHours = z
  .string()
  .trim()
  .min(1)
  // Checked before the syntax: parsing a long string costs seconds of CPU.
  .max(255, { abort: true })
  .refine((s) => !openingHoursError(s), { message: 'not valid OSM opening_hours syntax' })
  .meta({
    description: 'OSM opening_hours, e.g. `24/7` or `Mo-Fr 08:00-20:00`',
    example: 'Mo-Su 08:00-20:00',
  })

const timezone = z
  .string()
  .max(64, { abort: true })
  .refine(isValidTimeZone, { message: 'not an IANA time zone' })
  .meta({ example: 'Asia/Shanghai' })

const stationFields = {
  code: z
    .string()
    .regex(/^[A-Z0-9][A-Z0-9-]{1,39}$/, 'uppercase letters, digits and dashes, 2–40')
    .meta({ example: 'HN-CS-00042' }),
  name: z.string().trim().min(1).max(200),
  address: z.string().max(500),
  province: z.string().max(100).meta({ example: '湖南省' }),
  city: z.string().max(100),
  district: z.string().max(100),
  operator: z.string().max(200),
  location,
  amenities: z
    .array(z.enum(AMENITIES))
    .max(AMENITIES.length)
    .refine((a) => new Set(a).size === a.length, {
      message: 'amenities must not repeat',
    }),
  capacity: z.number().int().min(0).max(10_000),
  charging_points: z.number().int().min(0).max(10_000),
  opening_hours: openingHours,
  timezone,
  phone: z.string().max(40),
  state: z.enum(STATION_STATES),
}

export const createStationBody = z.strictObject({
  ...stationFields,
  address: stationFields.address.default(''),
  province: stationFields.province.default(''),
  city: stationFields.city.default(''),
  district: stationFields.district.default(''),
  operator: stationFields.operator.default(''),
  amenities: stationFields.amenities.default([]),
  charging_points: stationFields.charging_points.default(0),
  opening_hours: stationFields.opening_hours.default('24/7'),
  timezone: stationFields.timezone.default('Asia/Shanghai'),
  phone: stationFields.phone.default(''),
  state: stationFields.state.default('active'),
})
export type CreateStation = z.output<typeof createStationBody>

export const updateStationBody = z
  .strictObject(stationFields)
  .partial()
  .refine((b) => Object.keys(b).length > 0, { message: 'nothing to change' })
export type UpdateStation = z.output<typeof updateStationBody>

const supplyLevel = z.object({ level: z.number().int(), low: z.boolean() })

export const liveStatus = z
  .object({
    occupancy: z.number().int(),
    charging_points_in_use: z.number().int(),
    available_spaces: z.number().int(),
    open_now: z.boolean(),
    closes_at: z
      .string()
      .nullable()
      .meta({
        description:
          'Open now: when it next closes by its opening hours (ISO 8601). null when closed, or ' +
          'when it stays open for more than a week (open around the clock)',
        example: '2026-12-04T14:00:00.000Z',
      }),
    opens_at: z
      .string()
      .nullable()
      .meta({
        description:
          'Closed by its opening hours now: when it next opens (ISO 8601). null when open, ' +
          'temporarily closed (it reopens when its manager says so), or not opening within a week',
      }),
    stale: z
      .boolean()
      .meta({ description: 'No report for longer than the stale limit (2 h by default)' }),
    availability: z.enum(AVAILABILITIES),
    reported_at: z.string().nullable(),
    version: z.number().int(),
    supplies: z.partialRecord(z.enum(SUPPLIES), supplyLevel),
  })
  .meta({ id: 'LiveStatus' })

const stationExample = {
  id: 42,
  code: 'HN-CS-00042',
  name: '五一广场户外劳动者驿站',
  address: '湖南省长沙市芙蓉区五一大道 389 号',
  province: '湖南省',
  city: '长沙市',
  district: '芙蓉区',
  operator: '长沙市总工会',
  location: { lon: 112.9772, lat: 28.1968 },
  amenities: ['rest_seating', 'drinking_water', 'hot_water', 'phone_charging', 'ebike_charging'],
  capacity: 12,
  charging_points: 4,
  opening_hours: 'Mo-Su 07:00-22:00',
  timezone: 'Asia/Shanghai',
  phone: '0731-84412345',
  state: 'active',
  created_at: '2026-11-22T02:00:00.000Z',
  updated_at: '2026-11-22T02:00:00.000Z',
  status: {
    occupancy: 5,
    charging_points_in_use: 1,
    available_spaces: 7,
    open_now: true,
    closes_at: '2026-12-04T14:00:00.000Z',
    opens_at: null,
    stale: false,
    availability: 'open',
    reported_at: '2026-12-04T06:40:12.000Z',
    version: 17,
    supplies: {
      drinking_water: { level: 60, low: false },
      first_aid: { level: 15, low: true },
    },
  },
}

const stationShape = {
  id: z.number().int(),
  code: z.string(),
  name: z.string(),
  address: z.string(),
  province: z.string(),
  city: z.string(),
  district: z.string(),
  operator: z.string(),
  amenities: z.array(z.enum(AMENITIES)),
  capacity: z.number().int(),
  charging_points: z.number().int(),
  opening_hours: z.string(),
  timezone: z.string(),
  phone: z.string(),
  state: z.enum(STATION_STATES),
  created_at: z.string(),
  updated_at: z.string(),
  status: liveStatus,
}

export const station = z
  .object({ ...stationShape, location })
  .meta({ id: 'Station', example: stationExample })

export const nearestResponse = z.object({
  query: z
    .record(z.string(), z.unknown())
    .meta({ description: 'The request as understood, with defaults' }),
  results: z.array(
    station.extend({
      distance_m: z.number().meta({ description: 'On the sphere, from the given point' }),
    }),
  ),
})

export const stationPage = pointFeaturePageSchema(
  z.object(stationShape).meta({ id: 'StationProperties' }),
)

export const outlineFeature = z.object({
  type: z.literal('Feature'),
  properties: z.object({}),
  geometry: z
    .object({
      type: z.enum(['Polygon', 'MultiPolygon']),
      coordinates: z.array(z.unknown()),
    })
    .nullable()
    .meta({ description: 'null when there are no stations' }),
})

export const placeLabels = z
  .object({
    type: z.literal('FeatureCollection'),
    features: z.array(
      z.object({
        type: z.literal('Feature'),
        properties: z.object({
          level: z.enum(['city', 'district']),
          name: z.string().meta({ example: '芙蓉区' }),
          city: z.string().meta({ example: '长沙市' }),
          stations: z.number().int().meta({ description: 'Stations it is placed among' }),
        }),
        geometry: z.object({
          type: z.literal('Point'),
          coordinates: z.tuple([longitude, latitude]).meta({ description: '[lon, lat], WGS-84' }),
        }),
      }),
    ),
  })
  .meta({ id: 'PlaceLabels' })

const etagHeader = {
  ETag: {
    description: 'Send it back as If-Match on a report to act only on this status version',
    schema: { type: 'string' as const },
  },
}

export const adminStationRow = createStationBody
  .extend({
    id: z.number().int(),
    managers: z.number().int().meta({ description: 'How many managers it has' }),
  })
  .meta({ id: 'AdminStation' })

export function registerStationsApi(registry: OpenAPIRegistry) {
  registry.registerPath({
    method: 'get',
    path: '/api/v1/admin/stations',
    summary: 'Stations for the admin console (admin)',
    description:
      "The stations of the admin's region, retired ones too, with their editable fields, " +
      'found by part of the code, name or address; by id, paged.',
    tags: ['stations'],
    request: { query: adminStationsQuery },
    responses: {
      200: {
        description: 'One page',
        content: {
          'application/json': {
            schema: z.object({
              stations: z.array(adminStationRow),
              next_cursor: z.string().nullable(),
            }),
          },
        },
      },
      ...problemResponses(400, 401, 403),
    },
  })
  registry.registerPath({
    method: 'get',
    path: '/api/v1/stations/nearest',
    summary: 'Nearest stations',
    description:
      'The k nearest stations that satisfy every filter, nearest first, by distance on the ' +
      'sphere (exact, not approximated by the index). Retired stations are never returned.',
    tags: ['stations'],
    request: { query: nearestQuery },
    responses: {
      200: {
        description: 'Nearest stations',
        content: {
          'application/json': {
            schema: nearestResponse,
            example: {
              query: { lat: 28.2, lon: 112.98, limit: 1, open_now: true },
              results: [{ ...stationExample, distance_m: 365.2 }],
            },
          },
        },
      },
      ...problemResponses(400),
    },
  })
  registry.registerPath({
    method: 'get',
    path: '/api/v1/stations',
    summary: 'Stations in a bounding box (GeoJSON, paged)',
    description:
      'Stations inside the bbox as a GeoJSON FeatureCollection in id order, retired ones left ' +
      'out. Pass next_cursor as cursor for the next page.',
    tags: ['stations'],
    request: { query: bboxQuery },
    responses: {
      200: {
        description: 'One page of stations',
        content: { 'application/geo+json': { schema: stationPage } },
      },
      ...problemResponses(400),
    },
  })
  registry.registerPath({
    method: 'get',
    path: '/api/v1/stations/outline',
    summary: 'The area the stations cover',
    description:
      'A smoothed concave hull around all stations that are not retired, for the offline ' +
      'basemap. Cached by clients for 5 minutes.',
    tags: ['stations'],
    responses: {
      200: {
        description: 'A GeoJSON Feature',
        content: { 'application/json': { schema: outlineFeature } },
      },
      ...problemResponses(503),
    },
  })
  registry.registerPath({
    method: 'get',
    path: '/api/v1/stations/labels',
    summary: 'Where to write the names of cities and districts',
    description:
      'A point for each city and district named by stations that are not retired, at the ' +
      'geometric median of their stations, for the offline basemap to label. Cached by ' +
      'clients for 5 minutes.',
    tags: ['stations'],
    responses: {
      200: {
        description: 'A GeoJSON FeatureCollection of points',
        content: { 'application/json': { schema: placeLabels } },
      },
      ...problemResponses(503),
    },
  })
  registry.registerPath({
    method: 'get',
    path: '/api/v1/stations/{id}',
    summary: 'One station',
    description: 'One station, retired or not, with its live status.',
    tags: ['stations'],
    request: { params: idParam },
    responses: {
      200: {
        description: 'The station',
        headers: etagHeader,
        content: { 'application/json': { schema: station } },
      },
      ...problemResponses(400, 404),
    },
  })
  registry.registerPath({
    method: 'post',
    path: '/api/v1/stations',
    summary: 'Create a station (admin)',
    description: 'A new station, with no live status until its first report. Codes are unique.',
    tags: ['stations'],
    request: { body: { content: { 'application/json': { schema: createStationBody } } } },
    responses: {
      201: {
        description: 'Created; Location is its URL',
        headers: {
          Location: { description: 'The new station', schema: { type: 'string' } },
          ...etagHeader,
        },
        content: { 'application/json': { schema: station } },
      },
      ...problemResponses(400, 401, 403, 409),
    },
  })
  registry.registerPath({
    method: 'patch',
    path: '/api/v1/stations/{id}',
    summary: 'Edit a station (admin)',
    description:
      'Changes the given fields. Set state `retired` to retire a station: stations are never ' +
      'deleted, so their history stays.',
    tags: ['stations'],
    request: {
      params: idParam,
      body: { content: { 'application/json': { schema: updateStationBody } } },
    },
    responses: {
      200: {
        description: 'Updated',
        headers: etagHeader,
        content: { 'application/json': { schema: station } },
      },
      ...problemResponses(400, 401, 403, 404, 409),
    },
  })
}
