import { beforeAll, expect, it } from 'vitest'
import { describeEachBackend } from '../../../test/db.ts'
import { bboxQuery, nearestQuery } from './schema.ts'
import { findInBbox, findNearest, readStationFields, selectStations } from './queries.ts'

/** Captures the SQL a query function sends, then asks PostgreSQL how it would run it. */
describeEachBackend('hot paths use indexes', (db) => {
  const rules = { now: new Date(), staleAfterMs: 7_200_000 }
  let statements: { sql: string; bindings: unknown[] }[] = []

  beforeAll(() => {
    db().knex.on('query', (q: { sql: string; bindings: unknown[] }) => statements.push(q))
  })

  async function plans(run: () => Promise<unknown>) {
    statements = []
    await run()
    const out: string[] = []
    for (const s of statements.filter((x) => /from "stations"/i.test(x.sql))) {
      // Planner settings as on a busy table: the seeded table is small enough that a seq scan could win.
      await db().knex.transaction(async (trx) => {
        await trx.raw('SET LOCAL enable_seqscan = off')
        const { rows } = await trx.raw(
          `EXPLAIN ${s.sql.replace(/\$\d+/g, '?')}`,
          s.bindings as never,
        )
        out.push(rows.map((r: Record<string, string>) => r['QUERY PLAN']).join('\n'))
      })
    }
    expect(out.length).toBeGreaterThan(0)
    return out.join('\n')
  }

  it('nearest orders by the GiST index (KNN)', async () => {
    const plan = await plans(() =>
      findNearest(db().knex, nearestQuery.parse({ lat: '28.2', lon: '112.9' }), rules),
    )
    expect(plan).toMatch(/Index Scan using stations_location_gix/)
    expect(plan).toMatch(/Order By: \((s\.)?location <-> /)
  })

  it('nearest with filters and a radius still uses the location index', async () => {
    const q = nearestQuery.parse({
      lat: '28.2',
      lon: '112.9',
      amenities: 'hot_water,toilet',
      open_now: 'true',
      available: 'true',
      radius_m: '5000',
    })
    const plan = await plans(() => findNearest(db().knex, q, rules))
    expect(plan).toMatch(/stations_location_gix/)
  })

  it('bbox uses the geometry GiST index', async () => {
    const plan = await plans(() =>
      findInBbox(db().knex, bboxQuery.parse({ bbox: '112.9,28.1,113,28.3' }), rules),
    )
    expect(plan).toMatch(/stations_location_geom_gix/)
  })

  it('one station by id uses the primary key', async () => {
    statements = []
    const sql = selectStations(db().knex).where('s.id', 1).toSQL()
    const { rows } = await db().knex.raw(`EXPLAIN ${sql.sql}`, sql.bindings as never)
    expect(rows.map((r: Record<string, string>) => r['QUERY PLAN']).join('\n')).toMatch(
      /stations_pkey/,
    )
  })

  it("stations the index's cache let go are read by the primary key", async () => {
    const plan = await plans(() => readStationFields(db().knex, [1, 2, 3]))
    expect(plan).toMatch(/stations_pkey/)
  })
})
