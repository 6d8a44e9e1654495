import { z } from 'zod'
import {
  OpenAPIRegistry,
  OpenApiGeneratorV3,
  OpenApiGeneratorV31,
} from '@asteasolutions/zod-to-openapi'
import { SESSION_COOKIE } from './auth/middleware.ts'

interface OperationObject {
  operationId?: string
  security?: Record<string, string[]>[]
  requestBody?: unknown
  responses: Record<string, unknown>
}

export const problem = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string().optional(),
    instance: z.string().meta({ description: 'The request path (and query) the problem is about' }),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  })
  .meta({ id: 'Problem', description: 'RFC 9457 problem details' })

const reasons: Record<number, string> = {
  400: 'Invalid input (nothing was changed)',
  401: 'Not signed in',
  403: 'Signed in, but not allowed',
  404: 'Not found',
  405: 'The path does not take this method (see Allow)',
  409: 'Conflicts with existing data',
  412: 'The resource has changed since the given version',
  413: 'The body is larger than 100 kB',
  415: 'The body is not application/json',
  422: 'Idempotency key reused with a different request',
  429: 'Too many requests; see Retry-After',
  503: 'The database is unreachable or the query took too long; see Retry-After',
}

const retryAfter = {
  'Retry-After': {
    description: 'Seconds to wait before trying again',
    schema: { type: 'integer' as const, minimum: 0 },
  },
}

function problemResponse(status: number, schema: unknown) {
  return {
    description: reasons[status] ?? 'Error',
    ...(status === 429 || status === 503 ? { headers: retryAfter } : {}),
    content: { 'application/problem+json': { schema } },
  }
}

export function problemResponses(...statuses: number[]) {
  return Object.fromEntries(statuses.map((s) => [s, problemResponse(s, problem)]))
}

const SECURITY: Record<string, string[]>[] = [{ sessionCookie: [] }, { apiToken: [] }]

/** `get /api/v1/stations/{id}/reports` → `getStationsByIdReports`: unique, stable, readable. */
function operationId(method: string, path: string) {
  const words = path
    .replace(/^\/api\/v1\//, '')
    .split(/[/.-]/)
    .filter(Boolean)
    .map((w) => (w.startsWith('{') ? `by_${w.slice(1, -1)}` : w))
    .flatMap((w) => w.split('_'))
  return method + words.map((w) => w[0]!.toUpperCase() + w.slice(1)).join('')
}

const API_INFO = {
  title: 'Yizhan (驿站) API',
  version: '1.0.0',
  description:
    'Rest stations for outdoor workers: nearest stations, live status, tiles, auth. ' +
    'Errors are RFC 9457 problem details. GeoJSON coordinates are [lon, lat] (WGS-84).',
}

/**
 * An OpenAPI document from the features' registrations: 3.1 for the API, 3.0 where a
 * standard asks for it (OGC API – Features' OpenAPI 3.0 conformance class).
 */
export function buildOpenApiDocument(
  register: ((r: OpenAPIRegistry) => void)[],
  {
    openapi = '3.1.0',
    info = API_INFO,
    server = '/',
  }: { openapi?: '3.1.0' | '3.0.3'; info?: typeof API_INFO; server?: string } = {},
) {
  const registry = new OpenAPIRegistry()
  registry.registerComponent('securitySchemes', 'sessionCookie', {
    type: 'apiKey',
    in: 'cookie',
    name: SESSION_COOKIE,
    description: 'Set by POST /api/v1/auth/login (browsers)',
  })
  registry.registerComponent('securitySchemes', 'apiToken', {
    type: 'http',
    scheme: 'bearer',
    description: 'An API token from POST /api/v1/auth/tokens, with scopes and an expiry',
  })
  for (const r of register) r(registry)
  const config = { openapi, info, servers: [{ url: server, description: 'This server' }] }
  const doc =
    openapi === '3.0.3'
      ? new OpenApiGeneratorV3(registry.definitions).generateDocument(config)
      : new OpenApiGeneratorV31(registry.definitions).generateDocument(config)
  // What every operation shares is added here: an id for generated clients; how to sign in
  // (those that can answer 401 take a session or a token, the rest nothing); the answers any
  // request can get (a NUL byte in the query is 400; the database down; a body too large or
  // not JSON).
  const problemRef = { $ref: '#/components/schemas/Problem' }
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    for (const [method, op] of Object.entries(item as Record<string, OperationObject>)) {
      op.operationId ??= operationId(method, path)
      op.security ??= op.responses['401'] ? SECURITY : []
      const statuses = op.requestBody ? [400, 413, 415, 503] : [400, 503]
      for (const status of statuses) op.responses[status] ??= problemResponse(status, problemRef)
    }
  }
  return doc
}
