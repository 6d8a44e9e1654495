import { z } from 'zod'
import { OpenAPIRegistry, OpenApiGeneratorV31 } from '@asteasolutions/zod-to-openapi'

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
  429: 'Too many requests',
  503: 'Database unavailable',
}

export function problemResponses(...statuses: number[]) {
  return Object.fromEntries(
    statuses.map((s) => [
      s,
      {
        description: reasons[s] ?? 'Error',
        content: { 'application/problem+json': { schema: problem } },
      },
    ]),
  )
}

export function buildOpenApiDocument(register: ((r: OpenAPIRegistry) => void)[]) {
  const registry = new OpenAPIRegistry()
  for (const r of register) r(registry)
  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'Yizhan (驿站) API',
      version: '1.0.0',
      description:
        'Rest stations for outdoor workers: nearest stations, live status, tiles, auth. ' +
        'Errors are RFC 9457 problem details. GeoJSON coordinates are [lon, lat] (WGS-84).',
    },
  })
}
