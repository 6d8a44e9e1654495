import { z } from 'zod'
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi'
import { ROLES } from '../../../contract/vocabulary.ts'
import { MAX_INT_ID, idParam, queryCursor, queryInt } from '../http/params.ts'
import { problemResponses } from '../openapi.ts'
import { region } from '../auth/region.ts'

const password = z
  .string()
  .min(12, 'at least 12 characters')
  .max(200)
  .meta({ description: 'At least 12 characters; leave out for a one-time password' })

const stationIds = z
  .array(z.number().int().min(1).max(MAX_INT_ID))
  .max(1000)
  .refine((a) => new Set(a).size === a.length, { message: 'station_ids must not repeat' })

export const createUserBody = z.strictObject({
  username: z
    .string()
    .regex(/^[a-z0-9_.-]{3,64}$/, 'lowercase letters, digits, _ . -, 3–64')
    .meta({ example: 'cs-manager-07' }),
  role: z.enum(ROLES),
  password: password.optional(),
  region: region.optional().meta({
    description: "Where the account may act; default the creating admin's region",
  }),
  station_ids: stationIds.optional().meta({ description: 'Stations a manager manages' }),
})
export type CreateUser = z.output<typeof createUserBody>

export const updateUserBody = z
  .strictObject({
    role: z.enum(ROLES),
    region,
    disabled: z.boolean().meta({
      description: 'true ends the account’s sessions, tokens and live connections at once',
    }),
  })
  .partial()
  .refine((b) => Object.keys(b).length > 0, { message: 'nothing to change' })
export type UpdateUser = z.output<typeof updateUserBody>

export const passwordBody = z.strictObject({ password: password.optional() })

export const listUsersQuery = z.strictObject({
  role: z.enum(ROLES).optional(),
  q: z.string().trim().min(1).max(64).optional().meta({ description: 'Part of the username' }),
  limit: queryInt(1, 500).default(100),
  cursor: queryCursor(MAX_INT_ID).optional(),
})
export type ListUsersQuery = z.output<typeof listUsersQuery>

export const stationAssignmentParams = z.strictObject({
  id: idParam.shape.id,
  stationId: idParam.shape.id,
})

export const user = z
  .object({
    id: z.number().int(),
    username: z.string(),
    role: z.enum(ROLES),
    region,
    disabled: z.boolean(),
    created_at: z.iso.datetime(),
    station_ids: z.array(z.number().int()),
  })
  .meta({ id: 'User' })

const oneTime = z
  .string()
  .meta({ description: 'The one-time password, shown only here, when none was given' })

export function registerUsersApi(registry: OpenAPIRegistry) {
  const json = (schema: z.ZodType) => ({ content: { 'application/json': { schema } } })
  registry.registerPath({
    method: 'get',
    path: '/api/v1/users',
    summary: 'List accounts (admin)',
    description: "Accounts in the admin's region (those whose own region lies within it), by id.",
    tags: ['users'],
    request: { query: listUsersQuery },
    responses: {
      200: {
        description: 'Accounts',
        ...json(z.object({ users: z.array(user), next_cursor: z.string().nullable() })),
      },
      ...problemResponses(400, 401, 403),
    },
  })
  registry.registerPath({
    method: 'post',
    path: '/api/v1/users',
    summary: 'Create an account (admin)',
    description:
      "Within the admin's region. Without a password a one-time password is made and shown " +
      'once. Managers may be given their stations at once.',
    tags: ['users'],
    request: { body: json(createUserBody) },
    responses: {
      201: { description: 'Created', ...json(user.extend({ password: oneTime.optional() })) },
      ...problemResponses(400, 401, 403, 404, 409),
    },
  })
  registry.registerPath({
    method: 'patch',
    path: '/api/v1/users/{id}',
    summary: 'Change an account’s role, region, or disable it (admin)',
    description:
      'Disabling ends its sessions, API tokens and live connections at once; an admin cannot ' +
      'change their own account here.',
    tags: ['users'],
    request: { params: idParam, body: json(updateUserBody) },
    responses: {
      200: { description: 'Updated', ...json(user) },
      ...problemResponses(400, 401, 403, 404, 409),
    },
  })
  registry.registerPath({
    method: 'post',
    path: '/api/v1/users/{id}/password',
    summary: 'Reset a password (admin)',
    description:
      'Sets the given password, or a one-time one shown once; the account is signed out ' +
      'everywhere.',
    tags: ['users'],
    request: { params: idParam, body: json(passwordBody) },
    responses: {
      200: { description: 'Reset', ...json(z.object({ password: oneTime.optional() })) },
      ...problemResponses(400, 401, 403, 404),
    },
  })
  for (const method of ['put', 'delete'] as const)
    registry.registerPath({
      method,
      path: '/api/v1/users/{id}/stations/{stationId}',
      summary: method === 'put' ? 'Assign a station to a manager' : 'Unassign a station',
      description: "Both the manager and the station must be in the admin's region.",
      tags: ['users'],
      request: { params: stationAssignmentParams },
      responses: {
        204: { description: method === 'put' ? 'Assigned' : 'Unassigned' },
        ...problemResponses(400, 401, 403, 404, 409),
      },
    })
}
