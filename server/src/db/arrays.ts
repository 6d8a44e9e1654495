// Bulk statements pass whole columns to unnest() as PostgreSQL array literals: one text
// parameter per column, whatever the row count, that knex leaves alone and that node-pg and
// PGlite both accept (a JS array is not sent the same way by both).

export type Scalar = string | number | null

export function pgArray(values: readonly Scalar[]): string {
  const element = (v: Scalar) =>
    v === null ? 'NULL' : typeof v === 'number' ? String(v) : `"${v.replace(/["\\]/g, '\\$&')}"`
  return `{${values.map(element).join(',')}}`
}

/** One array literal per column, in the order `pick` lists them. */
export function columns<T>(rows: readonly T[], pick: (row: T) => Scalar[]): string[] {
  const cols: Scalar[][] = []
  for (const row of rows) {
    pick(row).forEach((v, i) => (cols[i] ??= []).push(v))
  }
  return cols.map(pgArray)
}
