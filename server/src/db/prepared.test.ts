import { expect, it } from 'vitest'
import knexFactory from 'knex'
import { describeEachBackend } from '../../../test/db.ts'
import { queryPrepared } from './prepared.ts'

describeEachBackend('prepared queries', (db, backend) => {
  it('answer as the query they run, built or raw, in a transaction or not', async () => {
    const { knex } = db()
    const built = () =>
      knex('stations').select('id', 'code').where('capacity', '>', 5).orderBy('id').limit(20)
    expect(await queryPrepared(knex, built())).toEqual(await built())
    const raw = () =>
      knex.raw('SELECT count(*)::int AS n FROM stations WHERE capacity > :c', { c: 5 })
    expect(await queryPrepared(knex, raw())).toEqual((await raw()).rows)
    const expected = await built()
    await knex.transaction(async (trx) => {
      expect(await queryPrepared(trx, built().transacting(trx))).toEqual(expected)
    })
  })

  if (backend === 'postgis')
    it('are planned once per connection and then reused', async () => {
      const one = knexFactory({
        client: 'pg',
        connection: db().knex.client.config.connection,
        pool: { min: 1, max: 1 },
      })
      try {
        for (const id of [1, 2, 3]) {
          const [row] = await queryPrepared<{ id: number }>(
            one,
            one('stations').select('id').where('id', id),
          )
          expect(row!.id).toBe(id)
        }
        const { rows } = await one.raw(
          `SELECT generic_plans + custom_plans AS runs FROM pg_prepared_statements
            WHERE statement LIKE 'select "id" from "stations"%'`,
        )
        expect(rows).toEqual([{ runs: 3 }])
      } finally {
        await one.destroy()
      }
    })
})
