import { createHash } from 'node:crypto'
import { z } from 'zod'
import type { Station } from './queries.ts'

/**
 * A station's ETag: its status version, then a hash of the whole answer, so a changed name or
 * a station that closed in the meantime is a new ETag too. Reports take it back as If-Match
 * and compare only the version: the precondition is about the status.
 */
export function stationEtag(station: Station): string {
  const hash = createHash('sha1').update(JSON.stringify(station)).digest('base64url').slice(0, 16)
  return `"${station.status.version}-${hash}"`
}

/**
 * If-Match: an ETag this server sent, a bare version, or `*` (any). Weak ETags are taken too:
 * a proxy that compresses (nginx) weakens the strong ones it passes on.
 */
export const ifMatch = z
  .string()
  .regex(
    /^(\*|\d{1,10}|(W\/)?"\d{1,10}(-[\w-]{1,32})?")$/,
    'If-Match must be an ETag of this station or a status version number',
  )
  .transform((v) => (v === '*' ? undefined : Number(/\d+/.exec(v)![0])))
  .meta({
    description:
      'The ETag of GET /api/v1/stations/{id} (or of an earlier report), or the bare status ' +
      'version: 412 when the status has moved on. `*`: any.',
    example: '"17-mZ0kSkp6YQ6o8ZBx"',
  })
