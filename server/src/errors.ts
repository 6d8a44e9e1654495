import { STATUS_CODES } from 'node:http'
import type { ErrorRequestHandler, RequestHandler } from 'express'
import { z } from 'zod'

export interface FieldError {
  path: string
  message: string
}

/** The one error type: anything thrown as HttpError becomes an RFC 9457 problem. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail?: string,
    readonly errors?: FieldError[],
    readonly headers?: Record<string, string>,
  ) {
    super(detail ?? title)
  }
}

export const badRequest = (detail: string, errors?: FieldError[]) =>
  new HttpError(400, 'Bad Request', detail, errors)
export const unauthorized = (detail = 'Sign in first') => new HttpError(401, 'Unauthorized', detail)
export const forbidden = (detail = 'Your role may not do this') =>
  new HttpError(403, 'Forbidden', detail)
export const notFound = (detail = 'No such resource') => new HttpError(404, 'Not Found', detail)

const typeFor = (status: number) => `https://yizhan.dev/problems/${status}`

/** Parses input with a zod schema; a failure is a 400 listing every bad field. */
export function parse<S extends z.ZodType>(
  schema: S,
  input: unknown,
  where = 'request',
): z.output<S> {
  const result = schema.safeParse(input)
  if (result.success) return result.data
  const errors = result.error.issues.map((i) => ({
    path: i.path.length ? i.path.join('.') : where,
    message: i.message,
  }))
  throw badRequest(
    `Invalid ${where}: ${errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`,
    errors,
  )
}

export const notFoundHandler: RequestHandler = (req, _res, next) => {
  next(notFound(`No route for ${req.method} ${req.path}`))
}

interface ErrorLike {
  status?: number
  statusCode?: number
  type?: string
  expose?: boolean
  message?: string
  code?: string
}

/** What an error is to the client: its problem. Ours and the database's are logged. */
export function problemOf(err: unknown, log: (err: unknown) => void): HttpError {
  if (err instanceof HttpError) return err
  if (isClientError(err)) {
    // body-parser and friends: malformed JSON (400), payload too large (413), bad charset (415)
    const e = err as ErrorLike
    const status = e.status ?? e.statusCode ?? 400
    return new HttpError(status, STATUS_CODES[status] ?? 'Bad Request', e.message)
  }
  if (isDatabaseUnavailable(err)) {
    log(err)
    return new HttpError(
      503,
      'Service Unavailable',
      'The database is unreachable; try again shortly',
      undefined,
      { 'Retry-After': '5' },
    )
  }
  if ((err as ErrorLike)?.code === '57014')
    return new HttpError(503, 'Service Unavailable', 'The query took too long and was cancelled')
  log(err)
  return new HttpError(500, 'Internal Server Error', 'Something went wrong on our side')
}

/** The problem's RFC 9457 body; `instance` is the URL of the request it is about. */
export function problemBody(problem: HttpError, instance: string) {
  return {
    type: typeFor(problem.status),
    title: problem.title,
    status: problem.status,
    ...(problem.detail ? { detail: problem.detail } : {}),
    // Which request this problem is about, for a report to an operator.
    instance,
    ...(problem.errors ? { errors: problem.errors } : {}),
  }
}

export function errorHandler(log: (err: unknown) => void): ErrorRequestHandler {
  return (err: unknown, req, res, _next) => {
    const problem = problemOf(err, log)
    if (res.headersSent) return
    for (const [k, v] of Object.entries(problem.headers ?? {})) res.setHeader(k, v)
    res
      .status(problem.status)
      .type('application/problem+json')
      .json(problemBody(problem, req.originalUrl))
  }
}

function isClientError(err: unknown): boolean {
  const e = err as ErrorLike
  const status = e?.status ?? e?.statusCode
  return typeof status === 'number' && status >= 400 && status < 500 && e.expose !== false
}

const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'ETIMEDOUT',
  '57P01',
  '57P03',
  '08006',
  '08001',
])

export function isDatabaseUnavailable(err: unknown): boolean {
  const e = err as ErrorLike & { name?: string }
  if (e?.code && UNAVAILABLE_CODES.has(e.code)) return true
  if (e?.name === 'KnexTimeoutError') return true
  // "Query read timeout": the client stopped waiting for a database that does not answer.
  return /Connection terminated|connect ECONNREFUSED|timeout exceeded when trying to connect|Query read timeout/i.test(
    e?.message ?? '',
  )
}
