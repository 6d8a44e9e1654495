import { z } from 'zod'
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi'
import { MAX_INT_ID, queryCursor, queryInt } from '../http/params.ts'
import { problemResponses } from '../openapi.ts'

const id = queryInt(1, MAX_INT_ID)

export const auditQuery = z.strictObject({
  actor: id.optional().meta({ description: 'Changes made by this account' }),
  station: id.optional().meta({ description: 'Changes to this station' }),
  user: id.optional().meta({ description: 'Changes to this account' }),
  from: z.iso.datetime({ offset: true }).optional().meta({ description: 'ISO 8601, inclusive' }),
  to: z.iso.datetime({ offset: true }).optional().meta({ description: 'ISO 8601, exclusive' }),
  limit: queryInt(1, 500).default(100),
  cursor: queryCursor(Number.MAX_SAFE_INTEGER).optional(),
})
export type AuditQuery = z.output<typeof auditQuery>

export const auditEntry = z
  .object({
    id: z.number().int(),
    at: z.iso.datetime(),
    action: z.string().meta({
      description:
        'e.g. station.create, station.update, user.create, user.disable, import.stations',
    }),
    actor: z.object({ id: z.number().int(), username: z.string() }).nullable(),
    station: z.object({ id: z.number().int(), code: z.string(), name: z.string() }).nullable(),
    user: z.object({ id: z.number().int(), username: z.string() }).nullable(),
    import_id: z.string().nullable().meta({ description: 'The import this change came from' }),
    before: z.unknown().meta({ description: 'The fields that changed, before (null: created)' }),
    after: z.unknown().meta({ description: 'The same fields after' }),
  })
  .meta({ id: 'AuditEntry' })

export const auditPage = z.object({
  entries: z.array(auditEntry),
  next_cursor: z
    .string()
    .nullable()
    .meta({ description: 'Pass as `cursor` for the next page; null on the last page' }),
})

export function registerAuditApi(registry: OpenAPIRegistry) {
  registry.registerPath({
    method: 'get',
    path: '/api/v1/audit',
    summary: 'The audit log (admin)',
    description:
      'Every change by an admin or an import, newest first: who, when, what, before → after. ' +
      'Passwords never appear. A scoped admin sees changes to stations and accounts in their ' +
      'region.',
    tags: ['audit'],
    request: { query: auditQuery },
    responses: {
      200: { description: 'Entries', content: { 'application/json': { schema: auditPage } } },
      ...problemResponses(400, 401, 403),
    },
  })
}
