import { z } from 'zod'
import type { Bbox } from '../../../contract/bbox.ts'

// Query strings arrive as text: these turn them into bounded numbers, rejecting empty
// strings, NaN, Infinity and hex instead of coercing them.
const decimal = z
  .string({
    error: (i) => (i.input === undefined ? 'required' : 'must be given once, as a number'),
  })
  .regex(/^[-+]?(\d+\.?\d*|\.\d+)$/, 'must be a decimal number')
  .transform(Number)

export const queryNumber = (min: number, max: number) => decimal.pipe(z.number().min(min).max(max))

export const queryInt = (min: number, max: number) =>
  decimal.pipe(z.number().int().min(min).max(max))

export const queryBool = z
  .enum(['true', 'false', '1', '0'])
  .transform((v) => v === 'true' || v === '1')

/** A comma-separated list whose items must all come from `values`. */
export function queryList<T extends string>(
  values: readonly [T, ...T[]],
  maxItems = values.length,
) {
  return z
    .string()
    .max(1000)
    .transform((s) =>
      s
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.enum(values)).max(maxItems))
    .meta({ description: `Comma-separated, from: ${values.join(', ')}` })
}

export const longitude = z.number().min(-180).max(180)
export const latitude = z.number().min(-90).max(90)

/** `w,s,e,n` in WGS-84 degrees; w < e and s < n (no antimeridian crossing: not needed for China). */
export const queryBbox = z
  .string()
  .max(200)
  .transform((s, ctx) => {
    const parts = s.split(',').map((x) => (x.trim() === '' ? NaN : Number(x)))
    if (parts.length !== 4 || parts.some((n) => !Number.isFinite(n))) {
      ctx.addIssue({ code: 'custom', message: 'bbox must be four numbers: west,south,east,north' })
      return z.NEVER
    }
    const [w, s2, e, n] = parts as Bbox
    if (w < -180 || e > 180 || s2 < -90 || n > 90) {
      ctx.addIssue({ code: 'custom', message: 'bbox is outside -180..180, -90..90' })
      return z.NEVER
    }
    if (w >= e || s2 >= n) {
      ctx.addIssue({ code: 'custom', message: 'bbox needs west < east and south < north' })
      return z.NEVER
    }
    return [w, s2, e, n] as Bbox
  })
  .meta({
    description: 'west,south,east,north in WGS-84 degrees',
    example: '112.8,28.1,113.1,28.3',
  })

/** The largest value of an `integer` id column; `bigint` ids are read up to Number.MAX_SAFE_INTEGER. */
export const MAX_INT_ID = 2_147_483_647

export const idParam = z.strictObject({ id: queryInt(1, MAX_INT_ID) })

/** A keyset page cursor: the last id of the previous page, within its id column's range. */
export const queryCursor = (maxId: number) =>
  z
    .string()
    .regex(/^[0-9]{1,19}$/, 'cursor must be the next_cursor of the previous page')
    .transform(Number)
    .pipe(z.number().max(maxId, 'cursor must be the next_cursor of the previous page'))
    .meta({ description: 'next_cursor of the previous page' })
