import { z } from 'zod'
import type { Knex } from 'knex'
import type { Scope } from '../../../contract/vocabulary.ts'
import type { Bbox } from '../../../contract/bbox.ts'
import { parse } from '../errors.ts'
import type { StatusRules } from '../stations/status.ts'
import { stationTableFilters, stationTableRow } from '../stations/table.ts'
import { countTableRows, findTableRows } from '../stations/queries.ts'
import { countRequests, findRequestRows } from '../requests/queries.ts'
import {
  MAX_BBOX_SPAN_DEG,
  gapCell,
  gapsParams,
  gapsQuery,
  smallestCellM,
} from '../coverage/schema.ts'
import type { CoverageAnswers } from '../coverage/answers.ts'
import { COVERAGE_DEFAULTS } from '../../../contract/coverage.ts'
import { findGaps } from '../coverage/queries.ts'
import { requestsExtent, stationsExtent, type Extent } from './queries.ts'
import type { Crs, CrsId } from './schema.ts'

/** What a collection's items are read with: the parsed query, the box already in WGS-84. */
export interface ItemsRead {
  bbox?: Bbox
  datetime?: { from?: Date; to?: Date }
  limit: number
  offset: number
  crs: Crs
  /** The collection's own parameters (filters, analysis settings) as sent, for it to parse. */
  extra: Record<string, unknown>
  /** Who asks: analyses are admitted per user. */
  userId?: number
}

export interface ItemFeature {
  id: number | string
  geometry: { type: string; coordinates: unknown[] }
  properties: Record<string, unknown>
}

export interface ReadContext {
  knex: Knex
  rules: () => StatusRules
  analysisTimeoutMs: number
  /** The node's coverage answers: paging through gap cells computes the analysis once. */
  coverage: CoverageAnswers
}

export interface CollectionDef {
  id: string
  title: string
  description: string
  /** Who may see it; everyone when unset. */
  scope?: Scope
  crs: CrsId[]
  /** Its features' properties, for the JSON schema clients type their fields by. */
  properties: z.ZodObject
  /** Its own query parameters besides the common ones: filters, analysis settings. */
  filters: z.ZodObject
  /** What `datetime` compares with, when the collection has a time. */
  temporal?: string
  extent(ctx: ReadContext): Promise<Extent>
  items(ctx: ReadContext, q: ItemsRead): Promise<{ features: ItemFeature[]; matched: number }>
  item(ctx: ReadContext, id: string, q: ItemsRead): Promise<ItemFeature | undefined>
}

/** A point in the answer's axis order: EPSG:4326 and CGCS2000 put latitude first. */
const point = ([x, y]: readonly [number, number], crs: Crs) => ({
  type: 'Point',
  coordinates: crs.latFirst ? [y, x] : [x, y],
})

const intId = (id: string) => (/^\d{1,10}$/.test(id) ? Number(id) : undefined)

const stations: CollectionDef = {
  id: 'stations',
  title: '驿站 Rest stations',
  description:
    'Every station that is not retired, with its live status as plain columns: availability, ' +
    'occupancy, available spaces, open now, stale, and one column per supply level. The ' +
    'values are as of the request.',
  crs: ['CRS84', 'EPSG4326', 'EPSG4490', 'EPSG3857'],
  properties: stationTableRow,
  filters: stationTableFilters,
  temporal: 'reported_at (the last live report)',
  extent: (ctx) => stationsExtent(ctx.knex),
  async items({ knex, rules }, q) {
    const filters = parse(stationTableFilters, q.extra, 'query')
    const read = { bbox: q.bbox, filters, reported: q.datetime }
    const now = rules()
    const [rows, matched] = await Promise.all([
      findTableRows(knex, { ...read, limit: q.limit, offset: q.offset, srid: q.crs.srid }, now),
      countTableRows(knex, read, now),
    ])
    return { features: rows.map((r) => stationFeature(r, q.crs)), matched }
  },
  async item({ knex, rules }, id, q) {
    const n = intId(id)
    if (n === undefined) return undefined
    const [row] = await findTableRows(
      knex,
      { filters: {}, limit: 1, offset: 0, srid: q.crs.srid, id: n },
      rules(),
    )
    return row && stationFeature(row, q.crs)
  },
}

function stationFeature(
  { row: { id, ...properties }, position }: Awaited<ReturnType<typeof findTableRows>>[number],
  crs: Crs,
): ItemFeature {
  return { id, geometry: point(position, crs), properties }
}

const requestProperties = z.object({
  note: z.string().meta({ description: 'Why here, as the asker wrote it' }),
  amenities: z.string().meta({ description: 'Comma-separated amenity codes asked for' }),
  created_at: z.iso.datetime(),
})

const requests: CollectionDef = {
  id: 'station_requests',
  title: '驿站需求 Station requests',
  description: 'Where riders and workers asked for a new station, and what it should offer.',
  scope: 'plan',
  crs: ['CRS84', 'EPSG4326', 'EPSG4490', 'EPSG3857'],
  properties: requestProperties,
  filters: z.strictObject({}),
  temporal: 'created_at (when the request was made)',
  extent: (ctx) => requestsExtent(ctx.knex),
  async items({ knex }, q) {
    const read = { bbox: q.bbox, created: q.datetime }
    const [rows, matched] = await Promise.all([
      findRequestRows(knex, { ...read, limit: q.limit, offset: q.offset, srid: q.crs.srid }),
      countRequests(knex, read),
    ])
    return { features: rows.map((r) => requestFeature(r, q.crs)), matched }
  },
  async item({ knex }, id, q) {
    const n = intId(id)
    if (n === undefined) return undefined
    const [row] = await findRequestRows(knex, { limit: 1, offset: 0, srid: q.crs.srid, id: n })
    return row && requestFeature(row, q.crs)
  },
}

function requestFeature(
  { row: { id, ...properties }, position }: Awaited<ReturnType<typeof findRequestRows>>[number],
  crs: Crs,
): ItemFeature {
  return { id, geometry: point(position, crs), properties }
}

const { bbox: _bbox, include: _include, ...analysisShape } = gapsParams.shape

const gaps: CollectionDef = {
  id: 'coverage_gaps',
  title: '覆盖缺口 Coverage gaps',
  description:
    'Hexagon cells with demand but fewer active stations within reach than asked for, as the ' +
    'planners’ gap analysis finds them, in a bbox (at most 12° each way; without one, the ' +
    'stations’ extent in cells large enough for it); the analysis ' +
    'settings (reach, cell size, demand data set) are parameters, as in /api/v1/coverage/gaps. ' +
    'Cell ids are "i,j" in the grid of that bbox and cell size.',
  scope: 'plan',
  crs: ['CRS84', 'EPSG4326'],
  properties: gapCell.shape.properties,
  filters: z.strictObject(analysisShape),
  extent: (ctx) => stationsExtent(ctx.knex).then((e) => ({ ...e, interval: null })),
  async items(ctx, q) {
    const cells = await gapCells(ctx, q)
    return { features: cells.slice(q.offset, q.offset + q.limit), matched: cells.length }
  },
  async item(ctx, id, q) {
    return (await gapCells(ctx, q)).find((f) => f.id === id)
  },
}

/**
 * The gap cells of an analysis, from the cache while the data has not changed. Without a bbox
 * (GDAL and QGIS first read a page without one, to learn the fields) it analyses the stations'
 * extent, at most 12° around its centre, in cells large enough to stay within the cell limit.
 */
async function gapCells({ knex, analysisTimeoutMs, coverage }: ReadContext, q: ItemsRead) {
  let bbox = q.bbox
  const settings = { ...q.extra }
  if (!bbox) {
    const extent = (await stationsExtent(knex)).bbox
    if (!extent) return []
    bbox = withinSpan(extent)
    settings.cell_m ??= String(Math.max(smallestCellM(bbox), COVERAGE_DEFAULTS.cell_m))
  }
  const gq = parse(gapsQuery, { ...settings, bbox: bbox.join(','), include: 'gaps' }, 'query')
  // the same question as the planner's /coverage/gaps: the same cached answer
  const { body } = await coverage.answer(['gaps', gq], q.userId!, () =>
    findGaps(knex, gq, analysisTimeoutMs),
  )
  const { features } = JSON.parse(body) as Awaited<ReturnType<typeof findGaps>>
  const swap = q.crs.latFirst
  return features.map((f): ItemFeature => ({
    id: f.id,
    geometry: {
      type: 'Polygon',
      coordinates: swap
        ? f.geometry.coordinates.map((ring) => ring.map(([x, y]) => [y, x]))
        : f.geometry.coordinates,
    },
    properties: f.properties,
  }))
}

function withinSpan([w, s, e, n]: Bbox): Bbox {
  const half = MAX_BBOX_SPAN_DEG / 2
  const [cx, cy] = [(w + e) / 2, (s + n) / 2]
  return [
    Math.max(w, cx - half),
    Math.max(s, cy - half),
    Math.min(e, cx + half),
    Math.min(n, cy + half),
  ]
}

export const COLLECTIONS: CollectionDef[] = [stations, requests, gaps]
