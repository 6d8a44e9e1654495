import { z } from 'zod'
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi'
import { bbox, latitude, longitude, queryBbox, queryInt, queryNumber } from '../http/params.ts'
import { problemResponses } from '../openapi.ts'
import type { Bbox } from '../../../contract/bbox.ts'
import {
  DEFAULT_DATASET,
  DEMAND_UNIT,
  COVERAGE_DEFAULTS,
  COVERAGE_LIMITS,
  MAX_WHAT_IF_SITES,
  TRAVEL_MODES,
  type TravelMode,
} from '../../../contract/coverage.ts'

const MAX_CELLS = 250_000
/** How far the nearest station naming a district may be for a place to take that district. */
export const PLACE_M = 15_000
// The grid lies in one UTM zone: 6° from its central meridian the scale is still within 0.4 %.
// All of Hunan spans 5.5°.
export const MAX_BBOX_SPAN_DEG = 12

const {
  radius_m: RADIUS,
  minutes: MINUTES,
  cell_m: CELL,
  k: K,
  min_stations: MIN_STATIONS,
} = COVERAGE_LIMITS
const SPEED_KMH: Record<TravelMode, number> = { walk: 4.5, ebike: 15 }
/** Streets are not straight: a trip covers about 1.3 times the straight-line distance. */
const DETOUR = 1.3

type Bound = (min: number, max: number) => z.ZodType<number, unknown>

const jsonNumber: Bound = (min, max) => z.number().min(min).max(max)
const jsonInt: Bound = (min, max) => z.number().int().min(min).max(max)

const reachDoc =
  'Reach is `radius_m` (straight line, on the sphere), or `minutes` of travel by `mode`: ' +
  `walking ${SPEED_KMH.walk} km/h, e-bike ${SPEED_KMH.ebike} km/h, divided by a detour factor ` +
  `of ${DETOUR} (15 walking minutes ≈ 865 m, 15 e-bike minutes ≈ 2,885 m). Without either, ` +
  `radius_m is ${COVERAGE_DEFAULTS.radius_m}. Only active stations count.`

function reachShape(num: Bound, int: Bound) {
  return {
    radius_m: num(...RADIUS)
      .optional()
      .meta({
        description: `Reach in metres (${RADIUS.join('–')}; default ${COVERAGE_DEFAULTS.radius_m})`,
      }),
    minutes: num(...MINUTES)
      .optional()
      .meta({ description: `Reach in minutes of travel by mode (${MINUTES.join('–')})` }),
    mode: z
      .enum(TRAVEL_MODES)
      .optional()
      .meta({ description: 'How the minutes are travelled (with minutes only; default walk)' }),
    dataset: z
      .string()
      .trim()
      .min(1)
      .max(64)
      .default(DEFAULT_DATASET)
      .meta({ description: `Which demand points count (default \`${DEFAULT_DATASET}\`)` }),
    min_stations: int(...MIN_STATIONS)
      .default(COVERAGE_DEFAULTS.min_stations)
      .meta({
        description:
          'Demand counts as covered when at least this many active stations are within reach ' +
          `(${MIN_STATIONS.join('–')}; 2 is the federation target of cross coverage)`,
      }),
  }
}

interface Reach {
  radius_m?: number
  minutes?: number
  mode?: TravelMode
}

/** The reach in metres; minutes become a distance at the mode's speed over the detour factor. */
function reachMetres(q: Reach): number {
  if (q.minutes === undefined) return q.radius_m ?? COVERAGE_DEFAULTS.radius_m
  return (((SPEED_KMH[q.mode ?? 'walk'] * 1000) / 60) * q.minutes) / DETOUR
}

function checkReach(q: Reach, ctx: z.RefinementCtx) {
  if (q.radius_m !== undefined && q.minutes !== undefined)
    ctx.addIssue({
      code: 'custom',
      path: ['minutes'],
      message: 'give radius_m or minutes, not both',
    })
  if (q.mode !== undefined && q.minutes === undefined)
    ctx.addIssue({ code: 'custom', path: ['mode'], message: 'mode needs minutes' })
}

function checkBbox([w, s, e, n]: Bbox, ctx: z.RefinementCtx) {
  if (e - w > MAX_BBOX_SPAN_DEG || n - s > MAX_BBOX_SPAN_DEG)
    ctx.addIssue({
      code: 'custom',
      path: ['bbox'],
      message: `bbox may span at most ${MAX_BBOX_SPAN_DEG} degrees each way`,
    })
  if (s < -80 || n > 84)
    ctx.addIssue({ code: 'custom', path: ['bbox'], message: 'bbox must lie within 80°S..84°N' })
}

const EARTH_RADIUS_M = 6_371_008.8
const hexagonArea = (cellM: number) => ((3 * Math.sqrt(3)) / 2) * cellM ** 2

/** How many hexagons the grid over a bbox holds, from its area on the sphere. */
function estimateCells([w, s, e, n]: Bbox, cellM: number): number {
  const rad = Math.PI / 180
  const area = EARTH_RADIUS_M ** 2 * (e - w) * rad * (Math.sin(n * rad) - Math.sin(s * rad))
  return area / hexagonArea(cellM)
}

/** The smallest cell size (in tens of metres) whose grid over a bbox stays within MAX_CELLS. */
export const smallestCellM = (bbox: Bbox) =>
  Math.ceil(Math.sqrt(estimateCells(bbox, 1) / MAX_CELLS) / 10) * 10

function checkCells(q: { bbox: Bbox; cell_m: number }, ctx: z.RefinementCtx) {
  const cells = estimateCells(q.bbox, q.cell_m)
  if (cells <= MAX_CELLS) return
  const smallest = smallestCellM(q.bbox)
  ctx.addIssue({
    code: 'custom',
    path: ['cell_m'],
    message:
      `this bbox at cell_m=${q.cell_m} makes about ${Math.round(cells).toLocaleString('en')} ` +
      `cells, more than ${MAX_CELLS.toLocaleString('en')}: use cell_m=${smallest} or more, ` +
      'or a smaller bbox',
  })
}

const withReach = <T extends Reach>(q: T) => ({ ...q, reach_m: reachMetres(q) })

const bboxParam = queryBbox.meta({
  description: `west,south,east,north in WGS-84 degrees, at most ${MAX_BBOX_SPAN_DEG}° each way`,
  example: [112.6, 27.95, 113.2, 28.5],
})

const cellParam = queryInt(...CELL)
  .default(COVERAGE_DEFAULTS.cell_m)
  .meta({
    description:
      `Hexagon size in metres (${CELL.join('–')}) as ST_HexagonGrid defines it: the edge length, ` +
      'which is also the circumradius (centre to corner); neighbouring centres are √3·cell_m ' +
      'apart. The grid lies in the UTM zone of the bbox centre. ' +
      `At most ${MAX_CELLS.toLocaleString('en')} cells per bbox.`,
  })

export const gapsParams = z.strictObject({
  bbox: bboxParam,
  ...reachShape(queryNumber, queryInt),
  cell_m: cellParam,
  include: z.enum(['gaps', 'all']).default('gaps').meta({
    description: '`gaps`: cells short of min_stations; `all`: every cell with demand (heat map)',
  }),
})
export const gapsQuery = gapsParams
  .superRefine((q, ctx) => {
    checkReach(q, ctx)
    checkBbox(q.bbox, ctx)
    checkCells(q, ctx)
  })
  .transform(withReach)
export type GapsQuery = z.output<typeof gapsQuery>

const suggestionsParams = z.strictObject({
  bbox: bboxParam,
  ...reachShape(queryNumber, queryInt),
  cell_m: cellParam,
  k: queryInt(...K)
    .default(COVERAGE_DEFAULTS.k)
    .meta({ description: `How many sites to suggest (${K.join('–')})` }),
})
export const suggestionsQuery = suggestionsParams
  .superRefine((q, ctx) => {
    checkReach(q, ctx)
    checkBbox(q.bbox, ctx)
    checkCells(q, ctx)
  })
  .transform(withReach)
export type SuggestionsQuery = z.output<typeof suggestionsQuery>

const summaryParams = z.strictObject({
  ...reachShape(queryNumber, queryInt),
  group_by: z
    .enum(['city'])
    .default('city')
    .meta({
      description:
        '`city`: stations by their city; each demand point and station request by the city ' +
        'of the station nearest to it (any state)',
    }),
})
export const summaryQuery = summaryParams.superRefine(checkReach).transform(withReach)
export type SummaryQuery = z.output<typeof summaryQuery>

const site = z.tuple([longitude, latitude]).meta({ description: '[lon, lat] in WGS-84 degrees' })

const whatIfFields = z.strictObject({
  bbox: bbox.meta({
    description: '[west, south, east, north] in WGS-84 degrees',
    example: [112.6, 27.95, 113.2, 28.5],
  }),
  ...reachShape(jsonNumber, jsonInt),
  sites: z
    .array(site)
    .min(1)
    .max(MAX_WHAT_IF_SITES)
    .meta({ description: `Hypothetical new stations (1–${MAX_WHAT_IF_SITES}), active` }),
})
export const whatIfBody = whatIfFields
  .superRefine((q, ctx) => {
    checkReach(q, ctx)
    checkBbox(q.bbox, ctx)
  })
  .transform(withReach)
export type WhatIfBody = z.output<typeof whatIfBody>

const ratio = z
  .number()
  .nullable()
  .meta({ description: 'covered_demand / total_demand; null when there is no demand' })

/** Demand in whole workers (see demandDoc). */
const workers = z.number().int().min(0)

const demandUnit = z.literal(DEMAND_UNIT).meta({
  description: 'What demand counts: outdoor workers who need a station (whole people)',
})

export const coverageTotals = z
  .object({
    total_demand: workers.meta({
      description: 'Sum of demand point weights plus one per station request',
    }),
    covered_demand: workers.meta({
      description: 'Demand with at least min_stations active stations within reach (per point)',
    }),
    uncovered_demand: workers.meta({ description: 'total_demand − covered_demand' }),
    coverage_ratio: ratio,
  })
  .meta({ id: 'CoverageTotals' })

/** A place named for a person: gap cells by their centre, suggested sites by their location. */
const placeNames = {
  district: z
    .string()
    .nullable()
    .meta({
      description:
        'District (区/县) of the nearest station that names one, if within 15 km (null past ' +
        'that): there are no district boundaries',
    }),
  city: z.string().nullable().meta({ description: 'City of that same station' }),
  nearest_station_id: z.number().int().nullable(),
  nearest_station_code: z
    .string()
    .nullable()
    .meta({ description: 'The nearest active station, by its code: how planners name stations' }),
  nearest_station_name: z.string().nullable(),
  nearest_station_address: z.string().nullable().meta({
    description: 'Stands in for the road: there is no road network to name one by',
  }),
  nearest_distance_m: z
    .number()
    .nullable()
    .meta({ description: 'Straight-line metres to the nearest active station (0.1 m)' }),
}

const query = z
  .looseObject({ reach_m: z.number().meta({ description: 'The reach in metres' }) })
  .meta({ description: 'The request as understood, with its defaults' })

export const gapCell = z.object({
  type: z.literal('Feature'),
  id: z.string().meta({ description: '"i,j": the hexagon index in this request’s grid' }),
  geometry: z.object({
    type: z.literal('Polygon'),
    coordinates: z.array(z.array(z.tuple([z.number(), z.number()]))),
  }),
  properties: z.object({
    demand: workers.meta({ description: 'covered_demand + uncovered_demand' }),
    covered_demand: workers.meta({ description: 'Per point' }),
    uncovered_demand: workers,
    requests: z.number().int().meta({ description: 'Station requests in the cell' }),
    stations_within_reach: z
      .number()
      .int()
      .meta({ description: 'Active stations within reach of the cell centre' }),
    ...placeNames,
    gap: z.boolean().meta({ description: 'stations_within_reach < min_stations' }),
  }),
})

export const gapsResponse = z.object({
  type: z.literal('FeatureCollection'),
  query,
  demand_unit: demandUnit,
  summary: coverageTotals.extend({
    cells: z.number().int().meta({ description: 'Cells holding demand' }),
    gap_cells: z.number().int(),
    gap_demand: workers.meta({ description: 'Demand in gap cells: the sum of their demand' }),
  }),
  features: z.array(gapCell),
})

const suggestion = z.object({
  rank: z.number().int(),
  location: site,
  ...placeNames,
  source: z.enum(['cell', 'station_request']),
  station_request_id: z.number().int().nullable(),
  added_demand: z.number().meta({
    description:
      'The greedy gain of this site, never more than the one before. Demand that lacked n ' +
      'stations at the start (min_stations minus the active ones within reach) earns weight/n ' +
      'for each of them a site supplies, so this sums that share over the demand the site ' +
      'reaches that still lacks a station. With min_stations=1 it is the demand newly covered; ' +
      'with more it is a score, in fractions of workers.',
  }),
  newly_covered_demand: workers.meta({
    description: 'Demand that reaches min_stations with this site',
  }),
  covered_demand: workers.meta({
    description:
      'Cumulative, with this and earlier sites: summary.covered_demand plus each ' +
      'newly_covered_demand so far',
  }),
  coverage_ratio: ratio,
})

export const suggestionsResponse = z.object({
  query,
  demand_unit: demandUnit,
  summary: coverageTotals.meta({ description: 'Before any new site' }),
  suggestions: z.array(suggestion),
})

export const summaryResponse = z.object({
  query,
  demand_unit: demandUnit,
  total: coverageTotals,
  cities: z.array(
    coverageTotals.extend({
      city: z.string().nullable().meta({ description: 'null when there are no stations' }),
      active_stations: z.number().int(),
    }),
  ),
})

export const whatIfResponse = z.object({
  query,
  demand_unit: demandUnit,
  before: coverageTotals,
  after: coverageTotals,
  added_demand: workers.meta({ description: 'after.covered_demand − before.covered_demand' }),
})

const demandDoc =
  'Demand is every demand point in the bbox at its weight and every station request at weight 1: ' +
  `${DEMAND_UNIT}, outdoor workers who need a station there. Demand figures are whole workers, ` +
  'rounded so that the parts add up to the totals (largest remainder); coverage_ratio is exact. '

export function registerCoverageApi(registry: OpenAPIRegistry) {
  const json = <S extends z.ZodType>(schema: S, type = 'application/json') => ({
    content: { [type]: { schema } },
  })
  registry.registerPath({
    method: 'get',
    path: '/api/v1/coverage/datasets',
    summary: 'Demand data sets (planner, admin)',
    description: 'The data sets analyses may choose with `dataset`, with their points and weight.',
    tags: ['coverage'],
    responses: {
      200: {
        description: 'Data sets by name',
        ...json(
          z.object({
            datasets: z.array(
              z.object({ name: z.string(), points: z.number().int(), weight: z.number() }),
            ),
          }),
        ),
      },
      ...problemResponses(401, 403),
    },
  })
  registry.registerPath({
    method: 'get',
    path: '/api/v1/coverage/gaps',
    summary: 'Hexagon cells with demand and too few stations within reach (planner, admin)',
    description:
      demandDoc +
      reachDoc +
      ' A cell is a gap when fewer than min_stations active stations are within reach of its ' +
      'centre; coverage in `summary` is exact per demand point. Edge cells count only the ' +
      'demand inside the bbox.',
    tags: ['coverage'],
    request: { query: gapsParams },
    responses: {
      200: {
        description: 'GeoJSON FeatureCollection',
        ...json(gapsResponse, 'application/geo+json'),
      },
      ...problemResponses(400, 401, 403, 503),
    },
  })
  registry.registerPath({
    method: 'get',
    path: '/api/v1/coverage/suggestions',
    summary: 'New sites chosen greedily to cover the most uncovered demand (planner, admin)',
    description:
      demandDoc +
      reachDoc +
      ' Maximal covering with the existing stations kept. Candidates are the station requests ' +
      'in the bbox and the centres of cells holding uncovered demand; each step takes the ' +
      'candidate with the largest added_demand (a station request first on a tie, then the ' +
      'lower cell index) and stops early when no candidate adds anything.',
    tags: ['coverage'],
    request: { query: suggestionsParams },
    responses: {
      200: { description: 'Suggested sites, best first', ...json(suggestionsResponse) },
      ...problemResponses(400, 401, 403, 503),
    },
  })
  registry.registerPath({
    method: 'get',
    path: '/api/v1/coverage/summary',
    summary: 'Coverage per city over all demand (planner, admin)',
    description: reachDoc,
    tags: ['coverage'],
    request: { query: summaryParams },
    responses: {
      200: { description: 'Coverage per city, most demand first', ...json(summaryResponse) },
      ...problemResponses(400, 401, 403, 503),
    },
  })
  registry.registerPath({
    method: 'post',
    path: '/api/v1/coverage/what-if',
    summary: 'Coverage in a bbox before and with hypothetical stations (planner, admin)',
    description: demandDoc + reachDoc,
    tags: ['coverage'],
    request: { body: json(whatIfFields) },
    responses: {
      200: { description: 'Coverage before and after', ...json(whatIfResponse) },
      ...problemResponses(400, 401, 403, 503),
    },
  })
}
