import type { Knex } from 'knex'
import { PbfReader } from 'pbf'
import { VectorTile } from '@mapbox/vector-tile'

/** A small deterministic PRNG, so a failing random case can be replayed. */
export function prng(seed: number) {
  return () => {
    seed = (seed * 1664525 + 1013904223) >>> 0
    return seed / 2 ** 32
  }
}

/** A report for each station, written as the report statement would: a new version, random live fields and supplies. */
export async function reportRandomly(knex: Knex, ids: number[], random: () => number, now: Date) {
  for (const id of ids) {
    await knex('station_status')
      .where({ station_id: id })
      .update({
        occupancy: Math.floor(random() * 12),
        charging_points_in_use: Math.floor(random() * 3),
        reported_at: new Date(now.getTime() - random() * 4 * 3600_000),
        version: knex.raw('version + 1'),
      })
    await knex('station_supplies')
      .where({ station_id: id })
      .update({ level: Math.floor(random() * 30) })
  }
}

/** A tile's station features by id: what tiles made two ways must agree on once decoded. */
export function decodeStations(body: Buffer) {
  const layer = new VectorTile(new PbfReader(body)).layers.stations
  return Array.from({ length: layer?.length ?? 0 }, (_, i) => {
    const f = layer!.feature(i)
    return { id: f.id, geometry: f.loadGeometry(), properties: f.properties }
  }).sort((a, b) => a.id! - b.id!)
}
