import { z } from 'zod'
import type { Config } from '../config.ts'
import type { Bbox } from '../../../contract/bbox.ts'
import type { PlaceFeature } from './schema.ts'

export type TiandituConfig = Pick<
  Config,
  'TIANDITU_KEY' | 'TIANDITU_API_URL' | 'TIANDITU_TIMEOUT_MS'
>

/** Hunan, when there are no stations to say where to look. */
const FALLBACK_BOUND: Bbox = [108.8, 24.65, 114.25, 30.1]

// Only what we use of the answer; Tianditu sends numbers and coordinates as text.
const poi = z.object({
  name: z.string(),
  address: z.string().optional(),
  lonlat: z.string(),
  hotPointID: z.string().optional(),
  province: z.string().optional(),
  city: z.string().optional(),
  county: z.string().optional(),
})
const area = z.object({ name: z.string(), lonlat: z.string(), bound: z.string().optional() })
const answer = z.object({
  resultType: z.coerce.number().optional(),
  pois: z.array(z.unknown()).optional(),
  area: area.optional(),
  status: z.object({ infocode: z.coerce.number(), cndesc: z.string().optional() }),
})

/** "lon,lat" (or "lon lat"), CGCS2000: taken as WGS-84, as Tianditu's own maps do. */
function parseLonLat(text: string): [number, number] | null {
  const [lon, lat, extra] = text
    .trim()
    .split(/[\s,]+/)
    .map(Number)
  if (extra !== undefined || !Number.isFinite(lon) || !Number.isFinite(lat)) return null
  if (Math.abs(lon!) > 180 || Math.abs(lat!) > 90) return null
  return [lon!, lat!]
}

function feature(
  id: string,
  coordinates: [number, number],
  p: { name: string; address?: string; province?: string; city?: string; county?: string },
): PlaceFeature {
  return {
    type: 'Feature',
    id: `tianditu:${id}`,
    geometry: { type: 'Point', coordinates },
    properties: {
      kind: 'tianditu',
      name: p.name,
      province: p.province ?? '',
      city: p.city || p.province || '',
      district: p.county ?? '',
      station_id: null,
      code: null,
      address: p.address || null,
    },
  }
}

/**
 * Tianditu's place search (地名搜索 V2.0, ordinary search `queryType` 1) inside `bound`. Throws
 * when it does not answer in time or answers with an error (infocode other than 1000).
 */
export async function searchTianditu(
  config: TiandituConfig,
  q: string,
  bound: Bbox | null,
  count: number,
): Promise<PlaceFeature[]> {
  if (!config.TIANDITU_KEY) return []
  const postStr = JSON.stringify({
    keyWord: q,
    mapBound: (bound ?? FALLBACK_BOUND).join(','),
    level: 12,
    queryType: 1,
    start: 0,
    count,
    show: 1,
  })
  const url = new URL('v2/search', config.TIANDITU_API_URL.replace(/\/?$/, '/'))
  url.search = new URLSearchParams({ postStr, type: 'query', tk: config.TIANDITU_KEY }).toString()
  const res = await fetch(url, { signal: AbortSignal.timeout(config.TIANDITU_TIMEOUT_MS) })
  if (!res.ok) throw new Error(`Tianditu answered HTTP ${res.status}`)
  const body = answer.parse(await res.json())
  if (body.status.infocode !== 1000)
    throw new Error(`Tianditu answered ${body.status.infocode} ${body.status.cndesc ?? ''}`.trim())
  const features: PlaceFeature[] = []
  for (const [i, raw] of (body.pois ?? []).entries()) {
    const p = poi.safeParse(raw)
    const at = p.success ? parseLonLat(p.data.lonlat) : null
    if (p.success && at) features.push(feature(p.data.hotPointID || String(i), at, p.data))
  }
  const at = body.area && parseLonLat(body.area.lonlat)
  if (body.area && at) features.push(feature(`area:${body.area.name}`, at, body.area))
  return features.slice(0, count)
}
