import { z } from 'zod'
import { AVAILABILITIES, STATION_STATES, SUPPLIES } from '../../../contract/vocabulary.ts'
import { queryBool } from '../http/params.ts'
import type { Station } from './queries.ts'

/**
 * A station as one flat row of typed columns, live status included: what GIS tools (QGIS,
 * GDAL, spreadsheets) read, style and filter, where nested objects would be one opaque string.
 * The OGC API, the downloads and their schemas all come from here.
 */
const dateTime = z.iso.datetime()

const supplyColumns = Object.fromEntries(
  SUPPLIES.flatMap((item) => [
    [
      `supply_${item}`,
      z
        .number()
        .int()
        .nullable()
        .meta({ description: `Level of ${item} in % (null: never reported)` }),
    ],
    [
      `supply_${item}_low`,
      z
        .boolean()
        .nullable()
        .meta({ description: `${item} below its low threshold` }),
    ],
  ]),
) as Record<`supply_${(typeof SUPPLIES)[number]}${'' | '_low'}`, z.ZodNullable<z.ZodType>>

export const stationTableRow = z
  .object({
    code: z.string().meta({ description: 'The union’s station code' }),
    name: z.string(),
    address: z.string(),
    province: z.string(),
    city: z.string(),
    district: z.string(),
    operator: z.string().meta({ description: 'The union or body that runs it' }),
    amenities: z.string().meta({ description: 'Comma-separated amenity codes' }),
    capacity: z.number().int().meta({ description: 'Seats' }),
    charging_points: z.number().int().meta({ description: 'E-bike chargers' }),
    opening_hours: z.string().meta({ description: 'OpenStreetMap opening_hours syntax' }),
    timezone: z.string(),
    phone: z.string(),
    state: z.enum(STATION_STATES),
    availability: z.enum(AVAILABILITIES).meta({ description: 'Live: what a rider finds now' }),
    open_now: z.boolean().meta({ description: 'Live: open by its hours and state' }),
    occupancy: z.number().int().meta({ description: 'Live: people inside at the last report' }),
    available_spaces: z.number().int().meta({ description: 'Live: capacity − occupancy' }),
    charging_points_in_use: z.number().int(),
    stale: z.boolean().meta({ description: 'Live: no report within the stale limit' }),
    closes_at: dateTime.nullable().meta({ description: 'Open now: when it next closes' }),
    opens_at: dateTime.nullable().meta({ description: 'Closed now: when it next opens' }),
    reported_at: dateTime.nullable().meta({ description: 'Time of the last live report' }),
    status_version: z.number().int().meta({ description: 'Counts the live reports' }),
    ...supplyColumns,
    updated_at: dateTime.meta({ description: 'Last change of the station’s own fields' }),
  })
  .meta({ id: 'StationTableRow' })
export type StationTableRow = z.output<typeof stationTableRow>

export function toTableRow(s: Station): { id: number } & StationTableRow {
  const { status } = s
  const supplies: Record<string, number | boolean | null> = {}
  for (const item of SUPPLIES) {
    const level = status.supplies[item]
    supplies[`supply_${item}`] = level?.level ?? null
    supplies[`supply_${item}_low`] = level?.low ?? null
  }
  return {
    id: s.id,
    code: s.code,
    name: s.name,
    address: s.address,
    province: s.province,
    city: s.city,
    district: s.district,
    operator: s.operator,
    amenities: s.amenities.join(','),
    capacity: s.capacity,
    charging_points: s.charging_points,
    opening_hours: s.opening_hours,
    timezone: s.timezone,
    phone: s.phone,
    state: s.state as StationTableRow['state'],
    availability: status.availability,
    open_now: status.open_now,
    occupancy: status.occupancy,
    available_spaces: status.available_spaces,
    charging_points_in_use: status.charging_points_in_use,
    stale: status.stale,
    closes_at: status.closes_at,
    opens_at: status.opens_at,
    reported_at: status.reported_at,
    status_version: status.version,
    ...supplies,
    updated_at: s.updated_at,
  } as { id: number } & StationTableRow
}

const text = z.string().min(1).max(200)

/** The columns a client may filter on by equality (`?city=长沙市&availability=open`). */
export const stationTableFilters = z.strictObject({
  code: text.optional(),
  province: text.optional(),
  city: text.optional(),
  district: text.optional(),
  operator: text.optional(),
  state: z.enum(STATION_STATES).optional(),
  availability: z.enum(AVAILABILITIES).optional(),
  open_now: queryBool.optional(),
  stale: queryBool.optional(),
})
export type StationTableFilters = z.output<typeof stationTableFilters>
