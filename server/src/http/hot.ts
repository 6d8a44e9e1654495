import type http from 'node:http'
import querystring, { type ParsedUrlQuery } from 'node:querystring'
import etag from 'etag'
import fresh from 'fresh'
import { nulPath } from './guards.ts'
import { problemBody, problemOf } from '../errors.ts'

/** Connect-style middleware, as helmet, compression, cors and pino-http are. */
export type Middleware = (
  req: http.IncomingMessage,
  res: http.ServerResponse,
  next: (err?: unknown) => void,
) => void

/** An answer worked out before anything is written, so a route that has none leaves the request to Express untouched. */
export interface HotAnswer {
  /** The Content-Type, as Express's res.type() would write it. */
  type: string
  body: string | Buffer
  /** `weak`: Express's own weak ETag of the body; a string: the route's ETag. */
  etag?: string
  headers?: Record<string, string>
}

export interface HotRoute {
  /** The route's Express pattern: its metrics label. */
  label: string
  /** The path's parameters, or undefined when it is not this route's. */
  match(path: string): string[] | undefined
  /**
   * The answer, or undefined for Express to give (invalid input, an index not loaded yet). One
   * that must wait (for the database) is a promise: once taken here, its errors are answered
   * here too, as Express's error handler would.
   */
  answer(query: ParsedUrlQuery, params: string[]): HotAnswer | Promise<HotAnswer> | undefined
}

/** A route's answer made from its body, at once or once the body is ready. */
export function answered<T>(
  body: T | Promise<T>,
  answer: (body: T) => HotAnswer,
): HotAnswer | Promise<HotAnswer> {
  return body instanceof Promise ? body.then(answer) : answer(body)
}

/**
 * The couriers' hottest reads, answered ahead of Express's routing: the same middleware the app
 * runs (security headers, request log, metrics, compression, CORS) and then the answer.
 * Anything a hot route does not answer, and every other request, goes to Express: invalid
 * input is left to it before anything runs here. An answer that fails later (the database) is
 * answered here as Express's error handler would.
 */
export function hotFirst(
  routes: HotRoute[],
  chain: (label: string) => Middleware[],
  express: http.RequestListener,
  log: (err: unknown) => void,
): http.RequestListener {
  const chains = new Map(routes.map((r) => [r, chain(r.label)]))
  return (req, res) => {
    const found =
      req.method === 'GET' || req.method === 'HEAD' ? answerFor(routes, req.url!) : undefined
    if (!found) {
      express(req, res)
      return
    }
    const middleware = chains.get(found.route)!
    const { answer } = found
    // handled once the middleware has run; until then not an unhandled rejection
    if (answer instanceof Promise) answer.catch(() => {})
    let i = 0
    const next = (err?: unknown) => {
      if (err) {
        sendProblem(req, res, err, log)
        return
      }
      const step = middleware[i++]
      if (step) step(req, res, next)
      else if (answer instanceof Promise)
        answer.then(
          (a) => sendAnswer(req, res, a),
          (e: unknown) => sendProblem(req, res, e, log),
        )
      else sendAnswer(req, res, answer)
    }
    next()
  }
}

function answerFor(routes: HotRoute[], url: string) {
  const q = url.indexOf('?')
  const path = q < 0 ? url : url.slice(0, q)
  for (const route of routes) {
    const params = route.match(path)
    if (!params) continue
    // the query as Express's default ("simple") parser reads it
    const query = querystring.parse(q < 0 ? '' : url.slice(q + 1))
    if (nulPath(query, []) !== undefined) return undefined
    const answer = route.answer(query, params)
    return answer && { route, answer }
  }
  return undefined
}

/** As the app's error handler answers an error. */
function sendProblem(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  err: unknown,
  log: (err: unknown) => void,
) {
  const problem = problemOf(err, log)
  if (res.headersSent) return
  res.statusCode = problem.status
  sendAnswer(req, res, {
    type: 'application/problem+json; charset=utf-8',
    body: JSON.stringify(problemBody(problem, req.url!)),
    headers: problem.headers,
  })
}

/**
 * As Express's res.send writes a body: its length, the ETag, 304 when the client's copy is
 * fresh. Express's routes for the hot reads send through it too, so both give the same.
 */
export function sendAnswer(req: http.IncomingMessage, res: http.ServerResponse, answer: HotAnswer) {
  res.setHeader('Content-Type', answer.type)
  for (const [name, value] of Object.entries(answer.headers ?? {})) res.setHeader(name, value)
  const tag = answer.etag === 'weak' ? etag(answer.body, { weak: true }) : answer.etag
  if (tag) {
    res.setHeader('ETag', tag)
    if (fresh(req.headers, { etag: tag })) {
      res.statusCode = 304
      res.removeHeader('Content-Type')
      res.end()
      return
    }
  }
  res.setHeader('Content-Length', Buffer.byteLength(answer.body))
  if (req.method === 'HEAD') res.end()
  else res.end(answer.body)
}
