import { pathToFileURL } from 'node:url'
import { buildOpenApiDocument } from './openapi.ts'
import { registerAuthApi } from './auth/schema.ts'
import { registerCoverageApi } from './coverage/schema.ts'
import { registerMetaApi } from './meta/schema.ts'
import { registerReportsApi } from './reports/schema.ts'
import { registerStationRequestsApi } from './requests/schema.ts'
import { registerStationsApi } from './stations/schema.ts'
import { registerTilesApi } from './tiles/schema.ts'
import { registerUsersApi } from './users/schema.ts'
import { registerAuditApi } from './audit/schema.ts'
import { registerImportsApi } from './imports/schema.ts'
import { registerOperationsApi } from './operations/schema.ts'
import { registerPlacesApi } from './places/schema.ts'
import { registerDownloadsApi } from './downloads/schema.ts'

/** The API's OpenAPI document, built from each feature's zod schemas. */
export function apiDocument() {
  return buildOpenApiDocument([
    registerStationsApi,
    registerTilesApi,
    registerAuthApi,
    registerMetaApi,
    registerReportsApi,
    registerCoverageApi,
    registerStationRequestsApi,
    registerUsersApi,
    registerAuditApi,
    registerImportsApi,
    registerOperationsApi,
    registerPlacesApi,
    registerDownloadsApi,
  ])
}

// `npm run openapi` prints it, for client generators and linters that want a file.
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.stdout.write(JSON.stringify(apiDocument(), null, 2) + '\n')
}
