import crypto from 'node:crypto'
import type { Knex } from 'knex'
import type pg from 'pg'

/**
 * Runs a query as a named prepared statement when the database is PostgreSQL: each pooled
 * connection parses and plans the text once, instead of on every request as knex's unnamed
 * statements do. For the hot paths (nearest, tiles, reports) planning costs as much as
 * running. In a transaction it runs on the transaction's connection; on PGlite it is an
 * ordinary query.
 */
export async function queryPrepared<T>(knex: Knex, query: Knex.QueryBuilder | Knex.Raw) {
  if (knex.client.config.client !== 'pg') {
    const result: unknown = await query
    return (Array.isArray(result) ? result : (result as { rows: T[] }).rows) as T[]
  }
  const { sql, bindings } = query.toSQL().toNative()
  // One name per distinct text: the filters of a request change the text, not only its values.
  const name = `y_${crypto.createHash('sha1').update(sql).digest('base64url')}`
  // As knex does for its own queries, so query listeners (logs, tests) still see it.
  knex.client.emit('query', { sql, bindings, method: 'raw' })
  const conn = (await knex.client.acquireConnection()) as pg.Client
  try {
    const { rows } = await conn.query<T & pg.QueryResultRow>({
      name,
      text: sql,
      values: bindings as unknown[],
    })
    return rows as T[]
  } finally {
    await knex.client.releaseConnection(conn)
  }
}

/** A statement compiled once: `run` does no query-builder work per call. */
export interface Statement<P extends string> {
  run<T>(knex: Knex, params: Readonly<Record<P, unknown>>): Promise<T[]>
}

/**
 * Prepares SQL written with knex's named parameters (`:name`, casts as `::type`) once: its
 * positional text, parameter order and statement name are worked out here, not per request.
 * On PGlite it runs as an ordinary query with the same values.
 */
export function prepareStatement<P extends string>(
  text: string,
  names: readonly P[],
): Statement<P> {
  const order: P[] = []
  const sql = text.replace(/(?<![:\w]):([a-z_]+)/g, (_, found: string) => {
    const name = found as P
    if (!names.includes(name)) throw new Error(`unexpected parameter :${name}`)
    const i = order.indexOf(name)
    if (i >= 0) return `$${i + 1}`
    order.push(name)
    return `$${order.length}`
  })
  const missing = names.filter((n) => !order.includes(n))
  if (missing.length) throw new Error(`parameters not in the text: ${missing.join(', ')}`)
  const name = `y_${crypto.createHash('sha1').update(sql).digest('base64url')}`
  return {
    async run<T>(knex: Knex, params: Readonly<Record<P, unknown>>) {
      if (knex.client.config.client !== 'pg') {
        const result = (await knex.raw(text, params as Record<string, unknown>)) as { rows: T[] }
        return result.rows
      }
      const values = order.map((n) => params[n])
      knex.client.emit('query', { sql, bindings: values, method: 'raw' })
      const conn = (await knex.client.acquireConnection()) as pg.Client
      try {
        const { rows } = await conn.query<T & pg.QueryResultRow>({ name, text: sql, values })
        return rows as T[]
      } finally {
        await knex.client.releaseConnection(conn)
      }
    },
  }
}
