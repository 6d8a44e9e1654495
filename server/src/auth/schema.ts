import { z } from 'zod'
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi'
import { ROLES, SCOPES } from '../../../contract/vocabulary.ts'
import { problemResponses } from '../openapi.ts'
import { idParam } from '../http/params.ts'
import { region } from './region.ts'

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

const apiToken = z
  .object({
    ...tokenInfo,
    created_at: z.iso.datetime(),
    last_used_at: z.iso.datetime().nullable(),
    revoked_at: z.iso.datetime().nullable(),
  })
  .meta({ id: 'ApiToken' })

export const tokensResponse = z.object({ tokens: z.array(apiToken) })

export const me = z
  .object({
    id: z.number().int(),
    username: z.string(),
    role: z.enum(ROLES),
    region: region.meta({ description: 'Where this account may act; {} is everywhere' }),
    station_ids: z.array(z.number().int()).meta({ description: 'Stations this user manages' }),
  })
  .meta({ id: 'Me' })

export function registerAuthApi(registry: OpenAPIRegistry) {
  registry.registerPath({
    method: 'post',
    path: '/api/v1/auth/login',
    summary: 'Sign in',
    description:
      'Sets an HttpOnly SameSite session cookie. Failed attempts are limited per address and ' +
      'per account (429 with Retry-After). From another origin than the trusted ones, 403.',
    tags: ['auth'],
    // Answers 401 for a wrong password, but needs no credential.
    security: [],
    request: { body: { content: { 'application/json': { schema: loginBody } } } },
    responses: {
      200: { description: 'Signed in', content: { 'application/json': { schema: me } } },
      ...problemResponses(400, 401, 403, 429),
    },
  })
  registry.registerPath({
    method: 'post',
    path: '/api/v1/auth/logout',
    summary: 'Sign out',
    description:
      'Ends the session (and its live connections) and clears the cookie; without a session ' +
      'it only clears the cookie.',
    tags: ['auth'],
    security: [],
    responses: { 204: { description: 'Signed out' }, ...problemResponses(403) },
  })
  registry.registerPath({
    method: 'get',
    path: '/api/v1/auth/me',
    summary: 'The signed-in user',
    description: 'Its name, role and the stations it manages.',
    tags: ['auth'],
    responses: {
      200: { description: 'The user', content: { 'application/json': { schema: me } } },
      ...problemResponses(401),
    },
  })
  registry.registerPath({
    method: 'post',
    path: '/api/v1/auth/tokens',
    summary: 'Create an API token',
    description:
      'For the signed-in user, from a browser session (not with another token). The secret is ' +
      'shown once; send it as `Authorization: Bearer …`. Its scopes never exceed the role.',
    tags: ['auth'],
    request: { body: { content: { 'application/json': { schema: tokenBody } } } },
    responses: {
      201: {
        description: 'Created',
        content: {
          'application/json': {
            schema: z.object({
              ...tokenInfo,
              token: z.string().meta({ description: 'The secret, shown only here' }),
            }),
          },
        },
      },
      ...problemResponses(400, 401, 403),
    },
  })
  registry.registerPath({
    method: 'get',
    path: '/api/v1/auth/tokens',
    summary: 'List your API tokens',
    description:
      "The signed-in user's API tokens, revoked and expired ones too; never the secrets.",
    tags: ['auth'],
    responses: {
      200: {
        description: 'Tokens, oldest first',
        content: { 'application/json': { schema: tokensResponse } },
      },
      ...problemResponses(401),
    },
  })
  registry.registerPath({
    method: 'delete',
    path: '/api/v1/auth/tokens/{id}',
    summary: 'Revoke an API token',
    description: 'One of your own tokens; live connections made with it are closed at once.',
    tags: ['auth'],
    request: { params: idParam },
    responses: { 204: { description: 'Revoked' }, ...problemResponses(401, 404) },
  })
}
