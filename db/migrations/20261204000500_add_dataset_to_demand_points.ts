import type { Knex } from 'knex'

// Planners keep several demand data sets (the seeded hotspots, a survey, delivery orders)
// and choose one per analysis; the ones there so far are `default`.
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    ALTER TABLE demand_points
      ADD COLUMN dataset text NOT NULL DEFAULT 'default'
        CHECK (char_length(dataset) BETWEEN 1 AND 64)`)
  await knex.raw('CREATE INDEX demand_points_dataset_idx ON demand_points (dataset)')
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('ALTER TABLE demand_points DROP COLUMN dataset')
}
