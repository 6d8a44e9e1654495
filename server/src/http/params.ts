import { z } from 'zod'

// Query strings arrive as text: these turn them into bounded numbers, booleans and lists,
// rejecting empty strings, NaN, Infinity and hex instead of coercing them. They are
// preprocessors so that the OpenAPI document shows the type a client sends (`lat: number`).
const DECIMAL = /^[-+]?(\d+\.?\d*|\.\d+)$/

function decimal(input: unknown, ctx: z.RefinementCtx) {
  if (typeof input === 'string' && DECIMAL.test(input)) return Number(input)
  const message =
    input === undefined
      ? 'required'
      : typeof input === 'string'
        ? 'must be a decimal number'
        : 'must be given once, as a number'
  ctx.addIssue({ code: 'custom', message })
  return z.NEVER
}

export const queryNumber = (min: number, max: number) =>
  z.preprocess(decimal, z.number().min(min).max(max))

export const queryInt = (min: number, max: number) =>
  z.preprocess(decimal, z.number().int().min(min).max(max))

const BOOLEANS: Record<string, boolean> = { true: true, '1': true, false: false, '0': false }

export const queryBool = z.preprocess((input, ctx) => {
  const value = typeof input === 'string' ? BOOLEANS[input] : undefined
  if (value !== undefined) return value
  ctx.addIssue({ code: 'custom', message: 'must be true, false, 1 or 0' })
  return z.NEVER
}, z.boolean())

/** A comma-separated list (`form` style, not exploded) whose items must all come from `values`. */
export function queryList<T extends string>(
  values: readonly [T, ...T[]],
  maxItems = values.length,
) {
  return z
    .preprocess(
      (input, ctx) => {
        if (typeof input === 'string' && input.length <= 1000)
          return input
            .split(',')
            .map((x) => x.trim())
            .filter(Boolean)
        ctx.addIssue({ code: 'custom', message: 'must be given once, as a comma-separated list' })
        return z.NEVER
      },
      z.array(z.enum(values)).max(maxItems),
    )
    .meta({ param: { style: 'form', explode: false } })
}

export const longitude = z.number().min(-180).max(180)
export const latitude = z.number().min(-90).max(90)

/** `[west, south, east, north]` in WGS-84 degrees (no antimeridian crossing: not needed for China). */
export const bbox = z
  .tuple([longitude, latitude, longitude, latitude])
  .refine(([w, s, e, n]) => w < e && s < n, { message: 'bbox needs west < east and south < north' })

/** `w,s,e,n` in a query string. */
export const queryBbox = z
  .preprocess((input, ctx) => {
    const parts =
      typeof input === 'string' && input.length <= 200
        ? input.split(',').map((x) => (x.trim() === '' ? NaN : Number(x)))
        : []
    if (parts.length === 4 && parts.every(Number.isFinite)) return parts
    ctx.addIssue({ code: 'custom', message: 'bbox must be four numbers: west,south,east,north' })
    return z.NEVER
  }, bbox)
  .meta({
    description: 'west,south,east,north in WGS-84 degrees',
    example: [112.8, 28.1, 113.1, 28.3],
    param: { style: 'form', explode: false },
  })

/** The largest value of an `integer` id column; `bigint` ids are read up to Number.MAX_SAFE_INTEGER. */
export const MAX_INT_ID = 2_147_483_647

/** A client's key for one write, so that its retries do the write once. */
export const idempotencyKey = z
  .string({ error: 'the Idempotency-Key header is required' })
  .regex(/^[\x21-\x7e]{1,200}$/, 'Idempotency-Key must be 1–200 visible ASCII characters')

export const idParam = z.strictObject({ id: queryInt(1, MAX_INT_ID) })

/** A keyset page cursor: the last id of the previous page, within its id column's range. */
export const queryCursor = (maxId: number) =>
  z
    .string()
    .regex(/^[0-9]{1,19}$/, 'cursor must be the next_cursor of the previous page')
    .transform(Number)
    .pipe(z.number().max(maxId, 'cursor must be the next_cursor of the previous page'))
    .meta({ description: 'next_cursor of the previous page' })
