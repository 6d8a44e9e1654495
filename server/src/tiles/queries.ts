import fs from 'node:fs'
import type { Knex } from 'knex'
import vtpbf from 'vt-pbf'
import type { z } from 'zod'
import {
  deriveStatus,
  statusChangesAt,
  statusesChangeAt,
  type StatusInput,
} from '../stations/status.ts'
import type { StatusRules } from '../stations/status.ts'
import { prepareStatement } from '../db/prepared.ts'
import { OpenSchedules } from './schedules.ts'
import type { Bbox } from '../../../contract/bbox.ts'
import type { fieldType } from './schema.ts'

const sqlFile = (name: string) => fs.readFileSync(new URL(name, import.meta.url), 'utf8')
// both start with the same CTEs: the stations in the tile and their cells
const cellsSql = sqlFile('./stations-tile-cells.sql')
const tileSql = prepareStatement(cellsSql + sqlFile('./stations-tile.sql'), [
  'z',
  'x',
  'y',
  'margin',
  'grid',
])
// B3's pgbench runs this same text, read from these files
const mvtSql = prepareStatement(cellsSql + sqlFile('./stations-tile-mvt.sql'), [
  'z',
  'x',
  'y',
  'margin',
  'grid',
  'open_hours',
  'open_zones',
  'stale_before',
])

/** The layer the tiles carry. */
export const STATIONS_LAYER = 'stations'

/**
 * Every property of a feature in the stations layer, with its type as TileJSON's
 * vector_layers name it: the tiles are typed by this, so the TileJSON cannot list a field the
 * tiles lack, nor miss one.
 */
export const STATION_FIELDS = {
  id: 'Number',
  code: 'String',
  name: 'String',
  availability: 'String',
  stale: 'Boolean',
  open_now: 'Boolean',
  capacity: 'Number',
  occupancy: 'Number',
  available_spaces: 'Number',
  charging_points: 'Number',
  charging_points_in_use: 'Number',
  amenities: 'String',
  low_supplies: 'String',
  version: 'Number',
  point_count: 'Number',
} as const satisfies Record<string, z.output<typeof fieldType>>

interface FieldTypes {
  String: string
  Number: number
  Boolean: boolean
}
export type StationProperties = {
  [K in keyof typeof STATION_FIELDS]: FieldTypes[(typeof STATION_FIELDS)[K]]
}

export const EXTENT = 4096
/** A 64-unit margin keeps circles drawn at a tile edge from being cut off (in tile widths). */
export const MARGIN = 64 / EXTENT

/** Below z12, stations within a cell this many tile units wide are one feature. */
export const gridAt = (z: number) => (z >= 12 ? 1 : 8)

/** An encoded tile, and until when (epoch ms) the clock leaves its live fields as they are. */
export interface RenderedTile {
  body: Buffer
  validUntil: number
}

interface TileRow extends StatusInput {
  id: number
  code: string
  name: string
  charging_points: number
  /** Comma-separated, as the tile carries them. */
  amenities: string
  px: number
  py: number
  point_count: number
}

export async function stationsTile(
  knex: Knex,
  z: number,
  x: number,
  y: number,
  rules: StatusRules,
): Promise<RenderedTile> {
  const rows = await tileSql.run<TileRow>(knex, { z, x, y, margin: MARGIN, grid: gridAt(z) })
  // an empty tile holds as long as ST_AsMVT's does: a day, unless a change drops it sooner
  let validUntil = statusesChangeAt(rules.now, rules.staleAfterMs, null, [])
  const features = rows.map((r) => {
    const s = deriveStatus(r, rules.now, rules.staleAfterMs)
    validUntil = Math.min(validUntil, statusChangesAt(r, rules.now, rules.staleAfterMs))
    const low = Object.entries(s.supplies)
      .filter(([, v]) => v.low)
      .map(([k]) => k)
    const tags: StationProperties = {
      id: r.id,
      code: r.code,
      name: r.name,
      availability: s.availability,
      stale: s.stale,
      open_now: s.open_now,
      capacity: r.capacity,
      occupancy: s.occupancy,
      available_spaces: s.available_spaces,
      charging_points: r.charging_points,
      charging_points_in_use: s.charging_points_in_use,
      amenities: r.amenities,
      low_supplies: low.join(','),
      version: s.version,
      point_count: Number(r.point_count),
    }
    return { id: r.id, type: 1 as const, geometry: [[r.px, r.py]], tags }
  })
  const body = Buffer.from(
    vtpbf.fromGeojsonVt({ [STATIONS_LAYER]: { features } }, { version: 2, extent: EXTENT }),
  )
  return { body, validUntil }
}

/**
 * The same tile encoded by PostGIS (ST_AsMVT; PostgreSQL only): one prepared statement, and
 * node encodes nothing. The schedules open now come from `schedules`; a tile showing one it
 * does not know (added since it read them) is read again after they are. The tile test
 * decodes both kinds and finds the same features.
 */
export async function stationsTileMvt(
  knex: Knex,
  z: number,
  x: number,
  y: number,
  rules: StatusRules,
  schedules: OpenSchedules,
): Promise<RenderedTile> {
  const read = async (open: { hours: string; zones: string }) => {
    const [row] = await mvtSql.run<{
      /** base64 */
      tile: string
      fresh_at: Date | null
      schedules: string[] | null
    }>(knex, {
      z,
      x,
      y,
      margin: MARGIN,
      grid: gridAt(z),
      open_hours: open.hours,
      open_zones: open.zones,
      stale_before: new Date(rules.now.getTime() - rules.staleAfterMs),
    })
    return row!
  }
  let row = await read(await schedules.at(knex, rules.now))
  if (!schedules.knows(row.schedules ?? []))
    row = await read(await schedules.reread(knex, rules.now))
  // the oldest of the fresh reports turns stale first
  const shown = (row.schedules ?? []).map((s) => s.split('\n') as [string, string])
  const validUntil = statusesChangeAt(rules.now, rules.staleAfterMs, row.fresh_at, shown)
  return { body: Buffer.from(row.tile, 'base64'), validUntil }
}

export type TileRenderer = (
  z: number,
  x: number,
  y: number,
  rules: StatusRules,
) => Promise<RenderedTile>

/** The backend's fastest way to a tile: ST_AsMVT on PostgreSQL, vt-pbf on PGlite. */
export function tileRenderer(knex: Knex): TileRenderer {
  if (knex.client.config.client !== 'pg') return (z, x, y, r) => stationsTile(knex, z, x, y, r)
  const schedules = new OpenSchedules()
  return (z, x, y, r) => stationsTileMvt(knex, z, x, y, r, schedules)
}

/** [west, south, east, north] of the stations that are not retired; null when there are none. */
export async function stationsExtent(knex: Knex) {
  const row = await knex
    .from(
      knex('stations')
        .whereNot('state', 'retired')
        .select(knex.raw('ST_Extent(location::geometry) AS e'))
        .as('x'),
    )
    .select(knex.raw('ST_XMin(e) AS w, ST_YMin(e) AS s, ST_XMax(e) AS e, ST_YMax(e) AS n'))
    .first()
  return row?.w == null ? null : ([row.w, row.s, row.e, row.n].map(Number) as Bbox)
}
