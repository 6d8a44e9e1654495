import type { Request, Router } from 'express'

// Express's router keeps its routes in this shape; it answers no 405 by itself and, once a
// request has left a mounted router, no longer says which route took it.
interface Layer {
  route?: { path: string; _methods(): string[] }
  handle: { stack?: Layer[] }
  match(path: string): false | { path: string; pattern: string }
}

const stackOf = (router: Router) => (router as unknown as { stack: Layer[] }).stack

interface Match {
  /** The route's full pattern, mount paths included: `/api/v1/stations/:id`. */
  pattern: string
  methods: string[]
}

/** The routes whose pattern matches a path, in the order Express tries them. */
export function* routesFor(router: Router, path: string): Generator<Match> {
  yield* walk(stackOf(router), path, '')
}

function* walk(stack: Layer[], path: string, prefix: string): Generator<Match> {
  for (const layer of stack) {
    const matched = layer.match(path)
    if (!matched) continue
    if (layer.route)
      yield {
        pattern: prefix + layer.route.path,
        methods: layer.route._methods().map((m) => m.toUpperCase()),
      }
    else if (layer.handle.stack)
      yield* walk(layer.handle.stack, path.slice(matched.path.length) || '/', prefix + matched.path)
  }
}

/** Each route's full pattern, found once: the walk is kept off the path of every answer. */
const patterns = new WeakMap<object, string>()

/**
 * The route a request belongs to, whatever answered it (the route, a guard before it, or the
 * error handler), so each route has one label for every status; `unmatched` for no route.
 */
export function routeLabel(req: Request): string {
  const known = req.route ? patterns.get(req.route) : undefined
  if (known) return known
  // originalUrl: inside a mounted router, req.url has lost the mount path.
  const path = req.originalUrl.split('?', 1)[0]!
  let fallback: string | undefined
  for (const route of routesFor(req.app.router, path)) {
    if (
      route.methods.includes(req.method) ||
      (req.method === 'HEAD' && route.methods.includes('GET'))
    ) {
      if (req.route) patterns.set(req.route, route.pattern)
      return route.pattern
    }
    fallback ??= route.pattern
  }
  return fallback ?? 'unmatched'
}
