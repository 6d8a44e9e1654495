import type { z } from 'zod'
import type { auditPage } from '../../../server/src/audit/schema.ts'
import type { demandImportResult, importResult } from '../../../server/src/imports/schema.ts'
import type {
  adminStationRow,
  createStationBody,
  updateStationBody,
} from '../../../server/src/stations/schema.ts'
import type { operations } from '../../../server/src/operations/schema.ts'
import type { createUserBody, updateUserBody, user } from '../../../server/src/users/schema.ts'
import type { Crs } from '../../../contract/crs.ts'
import { API, NetworkError, ProblemError, request } from '../shared/api.ts'

export type AdminStation = z.output<typeof adminStationRow>
export type NewStation = z.input<typeof createStationBody>
export type StationChange = z.input<typeof updateStationBody>
export type User = z.output<typeof user>
export type Region = User['region']
export type NewUser = z.input<typeof createUserBody>
export type UserChange = z.input<typeof updateUserBody>
export type ImportResult = z.output<typeof importResult>
export type DemandImportResult = z.output<typeof demandImportResult>
export type AuditPage = z.output<typeof auditPage>
export type AuditEntry = AuditPage['entries'][number]

const query = (params: Record<string, string | number | undefined>) => {
  const q = new URLSearchParams()
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, String(v))
  return q.size ? `?${q}` : ''
}

export const listStations = (p: { q?: string; state?: string; cursor?: string }) =>
  request<{ stations: AdminStation[]; next_cursor: string | null }>(
    `${API}/admin/stations${query({ ...p, limit: 100 })}`,
  )
export const createStation = (body: NewStation) =>
  request<{ id: number }>(`${API}/stations`, { method: 'POST', body })
export const updateStation = (id: number, body: StationChange) =>
  request<{ id: number }>(`${API}/stations/${id}`, { method: 'PATCH', body })

export const listUsers = (p: { q?: string; role?: string; cursor?: string }) =>
  request<{ users: User[]; next_cursor: string | null }>(`${API}/users${query(p)}`)
export const createUser = (body: NewUser) =>
  request<User & { password?: string }>(`${API}/users`, { method: 'POST', body })
export const updateUser = (id: number, body: UserChange) =>
  request<User>(`${API}/users/${id}`, { method: 'PATCH', body })
export const resetPassword = (id: number) =>
  request<{ password?: string }>(`${API}/users/${id}/password`, { method: 'POST', body: {} })
export const assignStation = (id: number, stationId: number, assign: boolean) =>
  request<void>(`${API}/users/${id}/stations/${stationId}`, { method: assign ? 'PUT' : 'DELETE' })

export const getAudit = (p: { actor?: number; station?: number; user?: number; cursor?: string }) =>
  request<AuditPage>(`${API}/audit${query({ ...p, limit: 50 })}`)

export type Operations = z.output<typeof operations>
export const getOperations = (staleHours: number) =>
  request<Operations>(`${API}/operations${query({ stale_hours: staleHours })}`)

const FILE_TYPES: Record<string, string> = {
  csv: 'text/csv',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  geojson: 'application/geo+json',
  json: 'application/geo+json',
}

export const fileType = (name: string) => FILE_TYPES[name.split('.').pop()?.toLowerCase() ?? '']

/**
 * Sends a file with XMLHttpRequest, which (unlike fetch) reports upload progress: the
 * console's progress bar follows it, then waits for the check.
 */
export function uploadFile<T>(
  path: string,
  file: File,
  onProgress: (sent: number, total: number) => void,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest()
    xhr.open('POST', path)
    xhr.setRequestHeader('Content-Type', fileType(file.name) ?? 'application/octet-stream')
    xhr.setRequestHeader('Accept', 'application/json')
    xhr.upload.onprogress = (e) => onProgress(e.loaded, e.total)
    xhr.onerror = () => reject(new NetworkError(`POST ${path} failed`))
    xhr.onload = () => {
      let body: Record<string, unknown> = {}
      try {
        body = JSON.parse(xhr.responseText)
      } catch {
        // an HTML error page from a proxy: the status says enough
      }
      if (xhr.status >= 200 && xhr.status < 300) return resolve(body as T)
      reject(
        new ProblemError(
          xhr.status,
          String(body.title ?? xhr.statusText),
          String(body.detail ?? ''),
          Array.isArray(body.errors) ? body.errors : [],
        ),
      )
    }
    xhr.send(file)
  })
}

export const importStationsUrl = (crs: Crs, dryRun: boolean) =>
  `${API}/imports/stations${query({ crs, dry_run: String(dryRun) })}`
export const importDemandUrl = (dataset: string, mode: string, crs: Crs, dryRun: boolean) =>
  `${API}/imports/demand-points${query({ dataset, mode, crs, dry_run: String(dryRun) })}`
