import { z } from 'zod'
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi'
import { ROLES, SCOPES } from '../../../contract/vocabulary.ts'
import { problemResponses } from '../openapi.ts'
import { idParam } from '../http/params.ts'

export const loginBody = z.strictObject({
  username: z.string().min(1).max(64),
  password: z.string().min(1).max(200),
})

export const tokenBody = z.strictObject({
  name: z.string().trim().min(1).max(100),
  scopes: z
    .array(z.enum(SCOPES))
    .min(1)
    .max(SCOPES.length)
    .refine((a) => new Set(a).size === a.length, { message: 'scopes must not repeat' })
    .default(['read'])
    .meta({
      description:
        'What the token may do (default `read`): `report` (managers), `plan` (planners), `admin`; never more than your role',
    }),
  expires_in_days: z
    .number()
    .int()
    .min(1)
    .optional()
    .meta({ description: 'Lifetime in days; the server has a default and a maximum' }),
})

const tokenInfo = {
  id: z.number().int(),
  name: z.string(),
  scopes: z.array(z.enum(SCOPES)),
  expires_at: z.iso.datetime(),
}

export const me = z
  .object({
    id: z.number().int(),
    username: z.string(),
    role: z.enum(ROLES),
    station_ids: z.array(z.number().int()).meta({ description: 'Stations this user manages' }),
  })
  .meta({ id: 'Me' })

export function registerAuthApi(registry: OpenAPIRegistry) {
  registry.registerPath({
    method: 'post',
    path: '/api/v1/auth/login',
    summary:
      'Sign in; sets an HttpOnly SameSite session cookie. Rate-limited per address and per account.',
    tags: ['auth'],
    // Answers 401 for a wrong password, but needs no credential.
    security: [],
    request: { body: { content: { 'application/json': { schema: loginBody } } } },
    responses: {
      200: { description: 'Signed in', content: { 'application/json': { schema: me } } },
      ...problemResponses(400, 401, 429),
    },
  })
  registry.registerPath({
    method: 'post',
    path: '/api/v1/auth/logout',
    summary: 'Sign out (ends the session)',
    tags: ['auth'],
    responses: { 204: { description: 'Signed out' } },
  })
  registry.registerPath({
    method: 'get',
    path: '/api/v1/auth/me',
    summary: 'The signed-in user, its role and the stations it manages',
    tags: ['auth'],
    responses: {
      200: { description: 'The user', content: { 'application/json': { schema: me } } },
      ...problemResponses(401),
    },
  })
  registry.registerPath({
    method: 'post',
    path: '/api/v1/auth/tokens',
    summary:
      'Create an API token for the signed-in user (from a browser session, not with another token); the token is shown once. Send it as `Authorization: Bearer …`.',
    tags: ['auth'],
    request: { body: { content: { 'application/json': { schema: tokenBody } } } },
    responses: {
      201: {
        description: 'Created',
        content: {
          'application/json': {
            schema: z.object({ ...tokenInfo, token: z.string() }),
          },
        },
      },
      ...problemResponses(400, 401, 403),
    },
  })
  registry.registerPath({
    method: 'get',
    path: '/api/v1/auth/tokens',
    summary: "The signed-in user's API tokens (never the secrets)",
    tags: ['auth'],
    responses: { 200: { description: 'Tokens' }, ...problemResponses(401) },
  })
  registry.registerPath({
    method: 'delete',
    path: '/api/v1/auth/tokens/{id}',
    summary: 'Revoke one of your API tokens; live connections made with it are closed at once',
    tags: ['auth'],
    request: { params: idParam },
    responses: { 204: { description: 'Revoked' }, ...problemResponses(401, 404) },
  })
}
