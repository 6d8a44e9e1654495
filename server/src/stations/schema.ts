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
import { isValidTimeZone, openingHoursError } from './openingHours.ts'
import { problemResponses } from '../openapi.ts'

export const MAX_RADIUS_M = 200_000

export const nearestQuery = z.strictObject({
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
    description: 'Only stations whose availability is `open` (open, fresh report, a free seat)',
  }),
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
    stale: z
      .boolean()
      .meta({ description: 'No report for longer than the stale limit (2 h by default)' }),
    availability: z.enum(AVAILABILITIES),
    reported_at: z.string().nullable(),
    version: z.number().int(),
    supplies: z.record(z.string(), supplyLevel),
  })
  .meta({ id: 'LiveStatus' })

export const station = z
  .object({
    id: z.number().int(),
    code: z.string(),
    name: z.string(),
    address: z.string(),
    city: z.string(),
    district: z.string(),
    operator: z.string(),
    location,
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
  })
  .meta({ id: 'Station' })

export function registerStationsApi(registry: OpenAPIRegistry) {
  registry.registerPath({
    method: 'get',
    path: '/api/v1/stations/nearest',
    summary: 'The k nearest stations that satisfy every filter, nearest first (exact)',
    tags: ['stations'],
    request: { query: nearestQuery },
    responses: {
      200: {
        description: 'Nearest stations',
        content: {
          'application/json': {
            schema: z.object({
              query: z.record(z.string(), z.unknown()),
              results: z.array(station.extend({ distance_m: z.number() })),
            }),
          },
        },
      },
      ...problemResponses(400),
    },
  })
  registry.registerPath({
    method: 'get',
    path: '/api/v1/stations',
    summary:
      'Stations in a bounding box as a paged GeoJSON FeatureCollection (retired ones left out)',
    tags: ['stations'],
    request: { query: bboxQuery },
    responses: {
      200: {
        description: 'GeoJSON FeatureCollection; pass next_cursor as cursor for the next page',
        content: {
          'application/geo+json': {
            schema: z.object({
              type: z.literal('FeatureCollection'),
              features: z.array(z.unknown()),
              next_cursor: z.string().nullable(),
            }),
          },
        },
      },
      ...problemResponses(400),
    },
  })
  registry.registerPath({
    method: 'get',
    path: '/api/v1/stations/outline',
    summary: 'A hull around all stations, for the offline basemap',
    tags: ['stations'],
    responses: { 200: { description: 'GeoJSON Feature (Polygon), or null geometry when empty' } },
  })
  registry.registerPath({
    method: 'get',
    path: '/api/v1/stations/{id}',
    summary: 'One station with its live status',
    tags: ['stations'],
    request: { params: idParam },
    responses: {
      200: { description: 'The station', content: { 'application/json': { schema: station } } },
      ...problemResponses(400, 404),
    },
  })
  registry.registerPath({
    method: 'post',
    path: '/api/v1/stations',
    summary: 'Create a station (admin)',
    tags: ['stations'],
    request: { body: { content: { 'application/json': { schema: createStationBody } } } },
    responses: {
      201: { description: 'Created', content: { 'application/json': { schema: station } } },
      ...problemResponses(400, 401, 403, 409),
    },
  })
  registry.registerPath({
    method: 'patch',
    path: '/api/v1/stations/{id}',
    summary:
      'Edit a station (admin); set state `retired` to retire it (stations are never deleted)',
    tags: ['stations'],
    request: {
      params: idParam,
      body: { content: { 'application/json': { schema: updateStationBody } } },
    },
    responses: {
      200: { description: 'Updated', content: { 'application/json': { schema: station } } },
      ...problemResponses(400, 401, 403, 404, 409),
    },
  })
}
