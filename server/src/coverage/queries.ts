import fs from 'node:fs'
import type { Knex } from 'knex'
import { columns } from '../db/arrays.ts'
import { clientTimeoutMs } from '../db/knex.ts'
import {
  PLACE_M,
  type GapsQuery,
  type SummaryQuery,
  type SuggestionsQuery,
  type WhatIfBody,
} from './schema.ts'
import type { Bbox } from '../../../contract/bbox.ts'
import { DEMAND_UNIT } from '../../../contract/coverage.ts'
import { wholeCoverage, wholeParts } from './whole.ts'

const read = (name: string) => fs.readFileSync(new URL(`./${name}.sql`, import.meta.url), 'utf8')
const demandCte = read('demand')
const cellsCte = read('cells')
const nearestJoins = read('nearest')
const gapsSql = `WITH ${demandCte},\n${cellsCte},\n${read('gaps')}${nearestJoins}ORDER BY c.i, c.j`
const placesSql = `${read('places')}${nearestJoins}ORDER BY t.ord`
const suggestionsSql = `WITH ${demandCte},\n${cellsCte},\n${read('suggestions')}`
const whatIfSql = `WITH ${demandCte},\n${read('what-if')}`
const summarySql = read('summary')

/** The WGS 84 / UTM zone of the bbox centre: metric, and true to 0.1 % across all of Hunan. */
function utmSrid([w, s, e, n]: Bbox): number {
  const zone = Math.min(60, Math.floor(((w + e) / 2 + 180) / 6) + 1)
  return ((s + n) / 2 >= 0 ? 32600 : 32700) + zone
}

/** Runs one analysis under its own statement timeout. */
async function analyse<T>(
  knex: Knex,
  timeoutMs: number,
  sql: string,
  bindings: Knex.ValueDict,
): Promise<T[]> {
  return knex.transaction(async (trx) => {
    // JIT off: the grid functions' row estimates make the plan look huge, and compiling it
    // would take longer than running it.
    await trx.raw(
      `SELECT set_config('statement_timeout', ?, true), set_config('jit', 'off', true)`,
      [String(timeoutMs)],
    )
    // The connection's client-side bound is the couriers'; an analysis may run longer.
    const { rows } = (await trx
      .raw(sql, bindings)
      .options({ query_timeout: clientTimeoutMs(timeoutMs) })) as { rows: T[] }
    return rows
  })
}

function areaBindings(q: { bbox: Bbox; reach_m: number; min_stations: number; dataset: string }) {
  const [w, s, e, n] = q.bbox
  return { w, s, e, n, reach: q.reach_m, m: q.min_stations, dataset: q.dataset }
}

/**
 * Coverage in whole workers, `covered` and `uncovered` already rounded so that they add up; the
 * ratio is of the exact demand.
 */
function totals(covered: number, uncovered: number, exactRatio: number | null) {
  return {
    total_demand: covered + uncovered,
    covered_demand: covered,
    uncovered_demand: uncovered,
    coverage_ratio: exactRatio,
  }
}

const ratioOf = (covered: number, total: number) => (total > 0 ? covered / total : null)

/** The names of a place (nearest.sql), as a row has them. */
interface PlaceRow {
  nearest_station_id: number | null
  nearest_station_code: string | null
  nearest_station_name: string | null
  nearest_station_address: string | null
  nearest_distance_m: number | null
  district: string | null
  city: string | null
}

function place(r: PlaceRow) {
  return {
    district: r.district,
    city: r.city,
    nearest_station_id: r.nearest_station_id,
    nearest_station_code: r.nearest_station_code,
    nearest_station_name: r.nearest_station_name,
    nearest_station_address: r.nearest_station_address,
    nearest_distance_m:
      r.nearest_distance_m === null ? null : Math.round(r.nearest_distance_m * 10) / 10,
  }
}

interface CellRow extends PlaceRow {
  i: number
  j: number
  demand: number
  covered_demand: number
  requests: number
  stations_within_reach: number
  geometry: { type: 'Polygon'; coordinates: number[][][] }
}

export async function findGaps(knex: Knex, q: GapsQuery, timeoutMs: number) {
  const srid = utmSrid(q.bbox)
  const rows = await analyse<CellRow>(knex, timeoutMs, gapsSql, {
    ...areaBindings(q),
    srid,
    cell: q.cell_m,
    place_m: PLACE_M,
    all: q.include === 'all',
  })
  let total = 0
  let covered = 0
  for (const r of rows) {
    total += r.demand
    covered += r.covered_demand
  }
  const whole = wholeCoverage(
    rows.map((r) => r.covered_demand),
    rows.map((r) => r.demand - r.covered_demand),
  )
  let gapCells = 0
  let gapDemand = 0
  const features = []
  for (const [n, r] of rows.entries()) {
    const gap = r.stations_within_reach < q.min_stations
    const coveredDemand = whole.coveredParts[n]!
    const uncoveredDemand = whole.uncoveredParts[n]!
    if (gap) {
      gapCells++
      gapDemand += coveredDemand + uncoveredDemand
    }
    if (!gap && q.include === 'gaps') continue
    const { district, city, ...nearest } = place(r)
    features.push({
      type: 'Feature' as const,
      id: `${r.i},${r.j}`,
      geometry: r.geometry,
      properties: {
        demand: coveredDemand + uncoveredDemand,
        covered_demand: coveredDemand,
        uncovered_demand: uncoveredDemand,
        requests: r.requests,
        stations_within_reach: r.stations_within_reach,
        ...nearest,
        district,
        city,
        gap,
      },
    })
  }
  return {
    type: 'FeatureCollection' as const,
    query: { ...q, projection: `EPSG:${srid}` },
    demand_unit: DEMAND_UNIT,
    summary: {
      ...totals(whole.covered, whole.uncovered, ratioOf(covered, total)),
      cells: rows.length,
      gap_cells: gapCells,
      gap_demand: gapDemand,
    },
    features,
  }
}

type Source = 'demand_point' | 'station_request'

interface SuggestionsRow {
  total_demand: number
  covered_demand: number
  /** [source, id, weight, stations still needed] of each demand short of min_stations */
  uncovered: [Source, number, number, number][]
  /** [lon, lat, station request id or null, demand point ids, station request ids in reach] */
  candidates: [number, number, number | null, number[], number[]][]
}

interface Candidate {
  /** Indexes into the weights and needs of the uncovered demand within reach. */
  covers: number[]
}

interface Pick {
  candidate: number
  added: number
  newlyCovered: number
}

/**
 * Greedy maximal covering. Demand i lacks needs[i] stations; a site within its reach supplies
 * one, worth weights[i] / needs[i] until it lacks none. That value is submodular (each point's
 * is concave in the sites reaching it), so the greedy gains never grow from one step to the
 * next, and with min_stations=1 a gain is exactly the demand newly covered. Ties go to the
 * earlier candidate.
 */
function greedyCover(
  weights: readonly number[],
  needs: readonly number[],
  candidates: readonly Candidate[],
  k: number,
): Pick[] {
  const lacking = [...needs]
  const gainOf = (c: Candidate) => {
    let gain = 0
    for (const p of c.covers) if (lacking[p]! > 0) gain += weights[p]! / needs[p]!
    return gain
  }
  const gains = candidates.map(gainOf)
  // A candidate's gain changes only when a point it reaches lacks nothing any more.
  const reachedBy: number[][] = needs.map(() => [])
  candidates.forEach((c, ci) => c.covers.forEach((p) => reachedBy[p]!.push(ci)))
  const taken = new Set<number>()
  const picks: Pick[] = []
  while (picks.length < k) {
    let best = -1
    for (let ci = 0; ci < gains.length; ci++) {
      if (!taken.has(ci) && gains[ci]! > (best < 0 ? 0 : gains[best]!)) best = ci
    }
    if (best < 0) break
    taken.add(best)
    let newlyCovered = 0
    const stale = new Set<number>()
    for (const p of candidates[best]!.covers) {
      if (lacking[p]! === 0) continue
      lacking[p]!--
      if (lacking[p] === 0) {
        newlyCovered += weights[p]!
        for (const ci of reachedBy[p]!) stale.add(ci)
      }
    }
    picks.push({ candidate: best, added: gains[best]!, newlyCovered })
    for (const ci of stale) gains[ci] = gainOf(candidates[ci]!)
  }
  return picks
}

export async function suggestSites(knex: Knex, q: SuggestionsQuery, timeoutMs: number) {
  const srid = utmSrid(q.bbox)
  const [row] = await analyse<SuggestionsRow>(knex, timeoutMs, suggestionsSql, {
    ...areaBindings(q),
    srid,
    cell: q.cell_m,
  })
  const { total_demand: total, uncovered } = row!
  const index = new Map(uncovered.map(([source, id], i) => [`${source}:${id}`, i]))
  const within = (source: Source, ids: number[]) =>
    ids.flatMap((id) => index.get(`${source}:${id}`) ?? [])
  const candidates = row!.candidates.map(([lon, lat, requestId, points, requests]) => ({
    location: [lon, lat] as [number, number],
    requestId,
    covers: [...within('demand_point', points), ...within('station_request', requests)],
  }))
  const picks = greedyCover(
    uncovered.map((u) => u[2]),
    uncovered.map((u) => u[3]),
    candidates,
    q.k,
  )
  const picked = picks.map((p) => candidates[p.candidate]!)
  const places = picked.length
    ? await analyse<PlaceRow>(knex, timeoutMs, placesSql, {
        lons: picked.map((c) => c.location[0]),
        lats: picked.map((c) => c.location[1]),
        place_m: PLACE_M,
      })
    : []
  // Covered before, what each site newly covers, and what stays uncovered: whole, adding up.
  const exactCovered = row!.covered_demand
  const newly = picks.map((p) => p.newlyCovered)
  const left = total - exactCovered - newly.reduce((a, b) => a + b, 0)
  // the sites' newly covered demand, then what is left uncovered
  const [coveredBefore, ...later] = wholeParts([exactCovered, ...newly, left])
  const uncoveredBefore = later.reduce((a, b) => a + b, 0)
  let exact = exactCovered
  let covered = coveredBefore!
  return {
    query: { ...q, projection: `EPSG:${srid}` },
    demand_unit: DEMAND_UNIT,
    summary: totals(coveredBefore!, uncoveredBefore, ratioOf(exactCovered, total)),
    suggestions: picks.map((p, rank) => {
      const c = picked[rank]!
      exact += p.newlyCovered
      covered += later[rank]!
      return {
        rank: rank + 1,
        location: c.location,
        ...place(places[rank]!),
        source: c.requestId === null ? ('cell' as const) : ('station_request' as const),
        station_request_id: c.requestId,
        added_demand: p.added,
        newly_covered_demand: later[rank]!,
        covered_demand: covered,
        coverage_ratio: ratioOf(exact, total),
      }
    }),
  }
}

export async function whatIf(knex: Knex, q: WhatIfBody, timeoutMs: number) {
  const [row] = await analyse<{
    total_demand: number
    covered_before: number
    covered_after: number
  }>(knex, timeoutMs, whatIfSql, {
    ...areaBindings(q),
    lons: q.sites.map((s) => s[0]),
    lats: q.sites.map((s) => s[1]),
  })
  const { total_demand: total, covered_before: before, covered_after: after } = row!
  const [coveredBefore, added, uncoveredAfter] = wholeParts([before, after - before, total - after])
  return {
    query: q,
    demand_unit: DEMAND_UNIT,
    before: totals(coveredBefore!, added! + uncoveredAfter!, ratioOf(before, total)),
    after: totals(coveredBefore! + added!, uncoveredAfter!, ratioOf(after, total)),
    added_demand: added!,
  }
}

export async function coverageByCity(knex: Knex, q: SummaryQuery, timeoutMs: number) {
  const rows = await analyse<{
    city: string | null
    active_stations: number
    total_demand: number
    covered_demand: number
  }>(knex, timeoutMs, summarySql, {
    reach: q.reach_m,
    m: q.min_stations,
    dataset: q.dataset,
  })
  const sum = (f: (r: (typeof rows)[number]) => number) => rows.reduce((a, r) => a + f(r), 0)
  const whole = wholeCoverage(
    rows.map((r) => r.covered_demand),
    rows.map((r) => r.total_demand - r.covered_demand),
  )
  return {
    query: q,
    demand_unit: DEMAND_UNIT,
    total: totals(
      whole.covered,
      whole.uncovered,
      ratioOf(
        sum((r) => r.covered_demand),
        sum((r) => r.total_demand),
      ),
    ),
    cities: rows.map((r, n) => ({
      city: r.city,
      active_stations: r.active_stations,
      ...totals(
        whole.coveredParts[n]!,
        whole.uncoveredParts[n]!,
        ratioOf(r.covered_demand, r.total_demand),
      ),
    })),
  }
}

/** The demand data sets, with how many points and how much weight each holds. */
export async function demandDatasets(knex: Knex) {
  const { rows } = await knex.raw<{ rows: { name: string; points: string; weight: string }[] }>(
    `SELECT dataset AS name, count(*) AS points, sum(weight) AS weight
       FROM demand_points GROUP BY dataset ORDER BY dataset`,
  )
  return rows.map((r) => ({ name: r.name, points: Number(r.points), weight: Number(r.weight) }))
}

/** Adds points to a data set, after emptying it when `replace`; how many it removed. */
export async function writeDemandPoints(
  knex: Knex,
  dataset: string,
  points: { lon: number; lat: number; weight: number; kind: string }[],
  replace: boolean,
): Promise<number> {
  // Counted from returning(): knex-pglite answers a delete with a result, not a row count.
  const removed = replace
    ? (await knex('demand_points').where({ dataset }).delete().returning('id')).length
    : 0
  for (let i = 0; i < points.length; i += 10_000) {
    const chunk = points.slice(i, i + 10_000)
    await knex.raw(
      `INSERT INTO demand_points (location, weight, kind, source, dataset)
       SELECT ST_SetSRID(ST_MakePoint(lon, lat), 4326)::geography, weight, kind, 'upload', ?
       FROM unnest(?::float8[], ?::float8[], ?::real[], ?::text[]) AS t(lon, lat, weight, kind)`,
      [dataset, ...columns(chunk, (p) => [p.lon, p.lat, p.weight, p.kind])],
    )
  }
  return removed
}
