import fs from 'node:fs'
import type { Knex } from 'knex'
import vtpbf from 'vt-pbf'
import { deriveStatus, type StatusInput } from '../stations/status.ts'
import type { StatusRules } from '../stations/status.ts'
import { queryPrepared } from '../db/prepared.ts'

const tileSql = fs.readFileSync(new URL('./stations-tile.sql', import.meta.url), 'utf8')

const EXTENT = 4096
// A 64-unit margin keeps circles drawn at a tile edge from being cut off.
const MARGIN = 64 / EXTENT

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
) {
  const grid = z >= 12 ? 1 : 8
  const rows = await queryPrepared<TileRow>(
    knex,
    knex.raw(tileSql, { z, x, y, margin: MARGIN, grid }),
  )
  const features = rows.map((r) => {
    const s = deriveStatus(r, rules.now, rules.staleAfterMs)
    const low = Object.entries(s.supplies)
      .filter(([, v]) => v.low)
      .map(([k]) => k)
    return {
      id: r.id,
      type: 1 as const,
      geometry: [[r.px, r.py]],
      tags: {
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
      },
    }
  })
  return Buffer.from(
    vtpbf.fromGeojsonVt({ stations: { features } }, { version: 2, extent: EXTENT }),
  )
}
