import type { Knex } from 'knex'
import { z } from 'zod'

const LEVELS = ['province', 'city', 'district'] as const

/**
 * Where an account may act, by the names the station data uses (`{"city": "长沙市"}`). A level
 * left out is not limited; `{}` is everywhere (the provincial admin).
 */
export const region = z
  .strictObject({
    province: z.string().trim().min(1).max(100).optional(),
    city: z.string().trim().min(1).max(100).optional(),
    district: z.string().trim().min(1).max(100).optional(),
  })
  .meta({ id: 'Region', example: { city: '长沙市' } })
export type Region = z.output<typeof region>

type Place = Partial<Record<(typeof LEVELS)[number], string | null>>

/** Whether a station (or anything named by province, city and district) lies in the region. */
export function contains(r: Region, place: Place): boolean {
  return LEVELS.every((level) => r[level] === undefined || r[level] === place[level])
}

/** Whether `inner` is as narrow as `outer` or narrower: an admin may only hand out that. */
export function within(inner: Region, outer: Region): boolean {
  return contains(outer, inner)
}

/**
 * Limits a query to the region: stations by their `province`, `city`, `district` columns,
 * accounts (prefix `region_`) to those whose own region lies within it.
 */
export function whereIn<Q extends Knex.QueryBuilder>(
  query: Q,
  r: Region,
  alias: string,
  prefix = '',
): Q {
  for (const level of LEVELS)
    if (r[level] !== undefined) query.where(`${alias}.${prefix}${level}`, r[level])
  return query
}

export const isEverywhere = (r: Region) => LEVELS.every((level) => r[level] === undefined)

/** A users row's region columns as a region. */
export function regionOf(row: {
  region_province: string | null
  region_city: string | null
  region_district: string | null
}): Region {
  const r: Region = {}
  if (row.region_province) r.province = row.region_province
  if (row.region_city) r.city = row.region_city
  if (row.region_district) r.district = row.region_district
  return r
}

export const regionColumns = (r: Region) => ({
  region_province: r.province ?? null,
  region_city: r.city ?? null,
  region_district: r.district ?? null,
})
