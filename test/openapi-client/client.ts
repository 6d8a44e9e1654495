/**
 * A small client as an integrator would write it: typed by openapi-typescript from the
 * served document, calling through openapi-fetch. `openapi.test.ts` generates the types,
 * type-checks this file (the @ts-expect-error lines must stay errors) and runs it.
 */
import createClient from 'openapi-fetch'
import type { paths } from '../../.cache/openapi/api.ts'

export type Client = ReturnType<typeof yizhanClient>

export function yizhanClient(baseUrl: string, headers: Record<string, string> = {}) {
  // The document says lists are `form` style, not exploded: `amenities=a,b`.
  return createClient<paths>({
    baseUrl,
    headers,
    querySerializer: { array: { style: 'form', explode: false } },
  })
}

export async function nearestWithWater(client: Client, lat: number, lon: number) {
  const { data, error } = await client.GET('/api/v1/stations/nearest', {
    params: { query: { lat, lon, limit: 3, amenities: ['drinking_water'], open_now: true } },
  })
  if (error) throw new Error(`${error.status} ${error.detail ?? error.title}`)
  return data.results.map((s) => ({
    id: s.id,
    amenities: s.amenities,
    open_now: s.status.open_now,
    distance_m: s.distance_m,
  }))
}

export async function namesInBbox(client: Client, bbox: [number, number, number, number]) {
  const { data, error } = await client.GET('/api/v1/stations', {
    params: { query: { bbox, limit: 5 } },
  })
  if (error) throw new Error(`${error.status} ${error.detail ?? error.title}`)
  return { names: data.features.map((f) => f.properties.name), next: data.next_cursor }
}

/** Reads a station, then reports on the version read: the second report on that ETag is 412. */
export async function reportTwiceOnOneRead(client: Client, id: number) {
  const read = await client.GET('/api/v1/stations/{id}', { params: { path: { id } } })
  const etag = read.response.headers.get('ETag')
  if (!etag) throw new Error('no ETag')
  const report = (key: string) =>
    client.POST('/api/v1/stations/{id}/reports', {
      params: { path: { id }, header: { 'idempotency-key': key, 'if-match': etag } },
      body: { occupancy: 1, supplies: { drinking_water: 80 } },
    })
  const first = await report(`client-${id}-1`)
  const second = await report(`client-${id}-2`)
  return {
    first: first.response.status,
    version: first.data?.status.version,
    second: second.response.status,
    problem: second.error?.title,
  }
}

export function typeErrors(client: Client) {
  return [
    // @ts-expect-error lat is a number, not a string
    client.GET('/api/v1/stations/nearest', { params: { query: { lat: '28.2', lon: 112.9 } } }),
    client.GET('/api/v1/stations/nearest', {
      // @ts-expect-error only the vocabulary's amenities
      params: { query: { lat: 28.2, lon: 112.9, amenities: ['sauna'] } },
    }),
    client.POST('/api/v1/stations/{id}/reports', {
      // @ts-expect-error a report needs an Idempotency-Key
      params: { path: { id: 1 } },
      body: { occupancy: 1 },
    }),
  ]
}
