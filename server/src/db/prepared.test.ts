import { expect, it } from 'vitest'
import knexFactory from 'knex'
import { describeEachBackend } from '../../../test/db.ts'
import { prepareStatement, queryPrepared } from './prepared.ts'

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

  it('compiled once from named parameters answer as knex.raw does with them', async () => {
    const { knex } = db()
    const text = `SELECT id, capacity::int FROM stations
                   WHERE capacity > :min::int AND id <= :max AND id > :min ORDER BY id`
    const statement = prepareStatement(text, ['min', 'max'])
    for (const params of [
      { min: 3, max: 40 },
      { min: 8, max: 400 },
    ]) {
      const expected = (await knex.raw(text, params)).rows
      expect(expected.length).toBeGreaterThan(0)
      expect(await statement.run(knex, params)).toEqual(expected)
    }
    expect(() => prepareStatement(text, ['min'])).toThrow(/:max/)
    expect(() => prepareStatement(text, ['min', 'max', 'other'])).toThrow(/other/)
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
