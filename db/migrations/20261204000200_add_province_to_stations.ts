import type { Knex } from 'knex'

// Admins may be scoped to a province, city or district: a station names all three. Stations
// made before know their province only from their address (the seed writes 湖南省… first).
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    ALTER TABLE stations
      ADD COLUMN province text NOT NULL DEFAULT '' CHECK (char_length(province) <= 100)`)
  await knex.raw(`
    UPDATE stations SET province = substring(address FROM '^(.{2,7}?(省|自治区))')
     WHERE address ~ '^.{2,7}?(省|自治区)'`)
  await knex.raw('CREATE INDEX stations_region_idx ON stations (province, city, district)')
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('ALTER TABLE stations DROP COLUMN province')
}
