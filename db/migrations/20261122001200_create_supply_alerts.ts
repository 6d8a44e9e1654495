import type { Knex } from 'knex'

// A low-stock alert opens when a supply falls below its threshold and closes when it is
// restocked to the threshold or above; at most one is open per station and item.
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE supply_alerts (
      id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      station_id integer NOT NULL REFERENCES stations(id) ON DELETE CASCADE,
      item text NOT NULL CHECK (item IN ('drinking_water', 'first_aid', 'heatstroke_medicine', 'sanitary_products', 'hand_warmers', 'umbrellas')),
      level integer NOT NULL CHECK (level BETWEEN 0 AND 100),
      threshold integer NOT NULL CHECK (threshold BETWEEN 0 AND 100),
      opened_at timestamptz NOT NULL DEFAULT now(),
      closed_at timestamptz,
      CHECK (closed_at IS NULL OR closed_at >= opened_at)
    )`)
  await knex.raw(`
    CREATE UNIQUE INDEX supply_alerts_one_open_idx ON supply_alerts (station_id, item)
    WHERE closed_at IS NULL`)
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP TABLE supply_alerts')
}
