import type { Knex } from 'knex'
import knexPostgis from 'knex-postgis'
import { isOpenFor } from './openingHours.ts'
import { deriveStatus, type StatusInput, type StatusRules } from './status.ts'
import type {
  AdminStationsQuery,
  BboxQuery,
  CreateStation,
  NearestQuery,
  UpdateStation,
} from './schema.ts'
import { HttpError, notFound } from '../errors.ts'
import { keysetPage, pointFeaturePage } from '../http/paging.ts'
import { whereIn, type Region } from '../auth/region.ts'
import { columns, pgArray } from '../db/arrays.ts'
import { prepareStatement, queryPrepared, type Statement } from '../db/prepared.ts'
import { toTableRow, type StationTableFilters } from './table.ts'
import type { Bbox } from '../../../contract/bbox.ts'
import type { LiveStatus } from '../../../contract/live-events.ts'

export interface StationRow extends StatusInput {
  id: number
  code: string
  name: string
  address: string
  province: string
  city: string
  district: string
  operator: string
  lon: number
  lat: number
  amenities: string[]
  charging_points: number
  phone: string
  created_at: Date
  updated_at: Date
  distance_m?: number
}

/** What a report writes of a station: its live fields. */
export type ReportedRow = Pick<
  StationRow,
  'id' | 'occupancy' | 'charging_points_in_use' | 'reported_at' | 'version' | 'supplies'
>

export interface Station extends Omit<
  StationRow,
  keyof StatusInput | 'lon' | 'lat' | 'created_at' | 'updated_at'
> {
  state: string
  capacity: number
  opening_hours: string
  timezone: string
  location: { lon: number; lat: number }
  created_at: string
  updated_at: string
  status: LiveStatus
}

/** A station's own columns, without its live status: what only an edit changes. */
function selectStationFields(knex: Knex) {
  return knex('stations as s').select(
    's.id',
    's.code',
    's.name',
    's.address',
    's.province',
    's.city',
    's.district',
    's.operator',
    knex.raw('ST_X(s.location::geometry) AS lon'),
    knex.raw('ST_Y(s.location::geometry) AS lat'),
    's.amenities',
    's.capacity',
    's.charging_points',
    's.opening_hours',
    's.timezone',
    's.phone',
    's.state',
    's.created_at',
    's.updated_at',
  )
}

/** Everything a station answer needs, live status and supplies included, in one select. */
export function selectStations(knex: Knex) {
  return selectStationFields(knex)
    .leftJoin('station_status as st', 'st.station_id', 's.id')
    .select(
      'st.occupancy',
      'st.charging_points_in_use',
      'st.reported_at',
      'st.version',
      knex.raw(`(SELECT jsonb_object_agg(ss.item, jsonb_build_array(ss.level, ss.low_threshold))
                 FROM station_supplies ss WHERE ss.station_id = s.id) AS supplies`),
    )
}

/** A station's row without its live status and supplies. */
export type StationFieldsRow = Omit<StationRow, Exclude<keyof ReportedRow, 'id'> | 'distance_m'>

let fieldsByIds: Statement<'ids'> | undefined

/**
 * The own columns of these stations, by a statement prepared once: the station index reads the
 * stations its cache let go on the couriers' hot path.
 */
export function readStationFields(knex: Knex, ids: readonly number[]) {
  // the text is the same on both backends (PostgreSQL's dialect), so compiled on first use
  fieldsByIds ??= prepareStatement(
    selectStationFields(knex).whereRaw('s.id = ANY(:ids::int[])').toQuery(),
    ['ids'],
  )
  return fieldsByIds.run<StationFieldsRow>(knex, { ids: pgArray(ids) })
}

/** A station's fields as answered, all but its derived status (and distance). */
export function stationFields(
  row: StationFieldsRow & Partial<Pick<StationRow, keyof ReportedRow | 'distance_m'>>,
): Omit<Station, 'status'> {
  const {
    lon,
    lat,
    reported_at: _r,
    occupancy: _o,
    charging_points_in_use: _c,
    version: _v,
    supplies: _s,
    distance_m: _d,
    ...rest
  } = row
  return {
    ...rest,
    location: { lon, lat },
    created_at: new Date(row.created_at).toISOString(),
    updated_at: new Date(row.updated_at).toISOString(),
  }
}

export function toStation(row: StationRow, rules: StatusRules): Station & { distance_m?: number } {
  return {
    ...stationFields(row),
    status: deriveStatus(row, rules.now, rules.staleAfterMs),
    ...(row.distance_m !== undefined ? { distance_m: row.distance_m } : {}),
  }
}

/**
 * The (opening_hours, timezone) pairs open at `now` and still open `minutes` later, evaluated
 * by the opening_hours library.
 */
export async function openSchedules(
  knex: Knex,
  now: Date,
  minutes: number,
): Promise<{ hours: string[]; zones: string[] }> {
  const rows: { opening_hours: string; timezone: string }[] =
    await knex('opening_schedules').select()
  const open = rows.filter((r) => isOpenFor(r.opening_hours, r.timezone, now, minutes))
  return { hours: open.map((r) => r.opening_hours), zones: open.map((r) => r.timezone) }
}

/** The groups of `order=open_first`, in the order they are listed. */
type Rank =
  /** Open, and a free seat (and charger, when asked for) or no fresh report to say otherwise. */
  | 'room'
  /** Open, but a fresh report says it is full (or every charger is taken, when asked for). */
  | 'full'
  /** Outside its hours, or temporarily closed. */
  | 'closed'

export async function findNearest(knex: Knex, q: NearestQuery, rules: StatusRules) {
  const point = knex.raw('ST_SetSRID(ST_MakePoint(?, ?), 4326)::geography', [q.lon, q.lat])
  const onlyOpen = q.open_now || q.available || q.open_for !== undefined
  const ranked = q.order === 'open_first' && !q.available
  const open =
    onlyOpen || ranked
      ? await openSchedules(knex, rules.now, onlyOpen ? (q.open_for ?? 0) : 0)
      : null
  const isOpen = (w: Knex.QueryBuilder) =>
    w
      .where('s.state', 'active')
      .whereRaw('(s.opening_hours, s.timezone) IN (SELECT * FROM unnest(?::text[], ?::text[]))', [
        open!.hours,
        open!.zones,
      ])
  const freshSince = new Date(rules.now.getTime() - rules.staleAfterMs)
  // "has space" for an e-bike is a free charger as well as a free seat
  const charger = q.amenities?.includes('ebike_charging')
  const room = `st.occupancy < s.capacity${charger ? ' AND st.charging_points_in_use < s.charging_points' : ''}`

  /** The `limit` nearest of a group (or of all) that satisfy every filter: KNN on the GiST index. */
  const nearest = (limit: number, rank?: Rank) => {
    const query = selectStations(knex)
      .select(knex.raw('ST_Distance(s.location, ?, false) AS distance_m', [point]))
      .whereNot('s.state', 'retired')
      // the sphere distance of <-> is the one reported as distance_m
      .orderByRaw('s.location <-> ?', [point])
      .limit(limit)
    if (q.radius_m !== undefined) {
      query.whereRaw('ST_DWithin(s.location, ?, ?, false)', [point, q.radius_m])
    }
    if (q.amenities?.length) query.whereRaw('s.amenities @> ?::text[]', [q.amenities])
    for (const item of q.supplies ?? []) {
      query.whereExists(
        knex('station_supplies as ss')
          .whereRaw('ss.station_id = s.id')
          .where('ss.item', item)
          .whereRaw('ss.level >= ss.low_threshold'),
      )
    }
    if (onlyOpen) isOpen(query)
    if (q.available) query.whereRaw(room).where('st.reported_at', '>=', freshSince)
    if (rank === 'closed') query.whereNot(isOpen)
    else if (rank) {
      if (!onlyOpen) isOpen(query)
      const full = knex.raw(`COALESCE(st.reported_at >= ? AND NOT (${room}), false)`, [freshSince])
      if (rank === 'full') query.where(full)
      else query.whereNot(full)
    }
    return queryPrepared<StationRow>(knex, query)
  }

  let rows: StationRow[] = []
  if (!ranked) rows = await nearest(q.limit)
  else {
    // group by group, each nearest first: the next group only when the earlier left room
    const groups: Rank[] = onlyOpen ? ['room', 'full'] : ['room', 'full', 'closed']
    for (const rank of groups) {
      if (rows.length >= q.limit) break
      rows = rows.concat(await nearest(q.limit - rows.length, rank))
    }
  }
  return rows.map((r) => toStation(r, rules))
}

/** The non-retired stations inside a lon/lat box (geometry GiST index). */
const whereInBbox = (query: Knex.QueryBuilder, [w, s, e, n]: Readonly<Bbox>) =>
  query
    .whereRaw('s.location::geometry && ST_MakeEnvelope(?, ?, ?, ?, 4326)', [w, s, e, n])
    .whereNot('s.state', 'retired')

export function selectStationsInBbox(knex: Knex, bbox: Readonly<Bbox>) {
  return whereInBbox(selectStations(knex), bbox)
}

/** Whether a bbox holds more than `max` stations: an index count that stops at max + 1. */
export async function moreStationsInBbox(knex: Knex, bbox: Readonly<Bbox>, max: number) {
  const upTo = whereInBbox(knex('stations as s').select(knex.raw('1')), bbox).limit(max + 1)
  const row = await knex.from(upTo.as('x')).count<{ n: number | string }[]>({ n: '*' }).first()
  return Number(row?.n) > max
}

export async function findInBbox(knex: Knex, q: BboxQuery, rules: StatusRules) {
  const query = selectStationsInBbox(knex, q.bbox)
    .orderBy('s.id')
    .limit(q.limit + 1)
  if (q.cursor) query.where('s.id', '>', q.cursor)
  if (q.amenities?.length) query.whereRaw('s.amenities @> ?::text[]', [q.amenities])
  const rows: StationRow[] = await query
  return pointFeaturePage(rows, q.limit, (r) => toStation(r, rules))
}

/** What a table read selects: a box (WGS-84), equality filters, and when the last report came. */
export interface TableQuery {
  bbox?: Readonly<Bbox>
  filters: StationTableFilters
  reported?: { from?: Date; to?: Date }
}

/**
 * The table filters as SQL. The live ones restate `deriveStatus` for the database (the open
 * schedules still come from the opening_hours library); a test holds the two to the same
 * answer for every station.
 */
async function whereTable(knex: Knex, q: TableQuery, rules: StatusRules) {
  const { open_now, stale, availability, ...stored } = q.filters
  const live = open_now !== undefined || availability !== undefined
  const open = live ? await openSchedules(knex, rules.now, 0) : null
  const freshSince = new Date(rules.now.getTime() - rules.staleAfterMs)
  const isOpen = () =>
    knex.raw(
      `(s.state = 'active' AND (s.opening_hours, s.timezone) IN
         (SELECT * FROM unnest(?::text[], ?::text[])))`,
      [open!.hours, open!.zones],
    )
  const isStale = knex.raw('(st.reported_at IS NULL OR st.reported_at < ?)', [freshSince])
  return (query: Knex.QueryBuilder) => {
    query.whereNot('s.state', 'retired')
    if (q.bbox)
      query.whereRaw('s.location::geometry && ST_MakeEnvelope(?, ?, ?, ?, 4326)', [...q.bbox])
    for (const [column, value] of Object.entries(stored)) query.where(`s.${column}`, value)
    if (open_now !== undefined) query.whereRaw('? = ?', [isOpen(), open_now])
    if (stale !== undefined) query.whereRaw('? = ?', [isStale, stale])
    if (availability !== undefined)
      query.whereRaw(
        `CASE WHEN s.state <> 'active' THEN 'temporarily_closed'
              WHEN NOT ? THEN 'closed'
              WHEN ? THEN 'unknown'
              WHEN coalesce(st.occupancy, 0) >= s.capacity THEN 'full'
              ELSE 'open' END = ?`,
        [isOpen(), isStale, availability],
      )
    if (q.reported?.from) query.where('st.reported_at', '>=', q.reported.from)
    if (q.reported?.to) query.where('st.reported_at', '<=', q.reported.to)
  }
}

/**
 * A page of stations as table rows, by id, each with its position in `srid` (x, y in the
 * order PostGIS gives them: longitude first for 4326).
 */
export async function findTableRows(
  knex: Knex,
  q: TableQuery & { limit: number; offset: number; srid: number; id?: number; wkt?: boolean },
  rules: StatusRules,
) {
  const where = await whereTable(knex, q, rules)
  const query = selectStations(knex)
    .select(
      knex.raw('ST_X(ST_Transform(s.location::geometry, ?::int)) AS x', [q.srid]),
      knex.raw('ST_Y(ST_Transform(s.location::geometry, ?::int)) AS y', [q.srid]),
    )
    .orderBy('s.id')
    .limit(q.limit)
    .offset(q.offset)
  if (q.wkt)
    query.select(knex.raw('ST_AsText(ST_Transform(s.location::geometry, ?::int)) AS wkt', [q.srid]))
  where(query)
  if (q.id !== undefined) query.where('s.id', q.id)
  const rows: (StationRow & { x: number; y: number; wkt?: string })[] = await query
  return rows.map((r) => ({
    row: toTableRow(toStation(r, rules)),
    position: [r.x, r.y] as const,
    wkt: r.wkt,
  }))
}

/** How many stations a table read selects, all pages together. */
export async function countTableRows(knex: Knex, q: TableQuery, rules: StatusRules) {
  const where = await whereTable(knex, q, rules)
  const query = knex('stations as s')
    .leftJoin('station_status as st', 'st.station_id', 's.id')
    .count<{ n: string | number }[]>({ n: '*' })
  where(query)
  const [row] = await query
  return Number(row?.n ?? 0)
}

export async function findById(knex: Knex, id: number, rules: StatusRules) {
  const row: StationRow | undefined = await selectStations(knex).where('s.id', id).first()
  if (!row) throw notFound(`Station ${id} does not exist`)
  return toStation(row, rules)
}

function locationValue(knex: Knex, loc: { lon: number; lat: number }) {
  const st = knexPostgis(knex)
  return st.geography(st.setSRID(st.makePoint(loc.lon, loc.lat), 4326))
}

function rethrowConflict(err: unknown): never {
  const e = err as { code?: string; constraint?: string }
  if (e.code === '23505' && e.constraint === 'stations_code_key') {
    throw new HttpError(409, 'Conflict', 'A station with this code already exists')
  }
  throw err
}

export async function createStation(knex: Knex, body: CreateStation): Promise<number> {
  try {
    const { location, ...fields } = body
    const [row] = await knex('stations')
      .insert({ ...fields, location: locationValue(knex, location) })
      .returning('id')
    await knex('station_status').insert({ station_id: row.id })
    return row.id as number
  } catch (err) {
    rethrowConflict(err)
  }
}

export async function updateStation(knex: Knex, id: number, body: UpdateStation): Promise<void> {
  const { location, ...fields } = body
  try {
    await knex('stations')
      .where({ id })
      .update({
        ...fields,
        ...(location ? { location: locationValue(knex, location) } : {}),
        updated_at: knex.fn.now(),
      })
  } catch (err) {
    rethrowConflict(err)
  }
}

const EDITABLE = [
  'code',
  'name',
  'address',
  'province',
  'city',
  'district',
  'operator',
  'amenities',
  'capacity',
  'charging_points',
  'opening_hours',
  'timezone',
  'phone',
  'state',
] as const

function selectEditable(knex: Knex) {
  return knex('stations')
    .select(['id', ...EDITABLE])
    .select(
      knex.raw('ST_X(location::geometry) AS lon'),
      knex.raw('ST_Y(location::geometry) AS lat'),
    )
}

type EditableRow = Omit<CreateStation, 'location'> & { id: number; lon: number; lat: number }

function toEditable({ id: _id, lon, lat, ...fields }: EditableRow): CreateStation {
  return { ...fields, location: { lon, lat } }
}

/** A station's editable fields as stored, locked for the change about to be made. */
export async function editableFields(knex: Knex, id: number) {
  const row: EditableRow | undefined = await selectEditable(knex).where({ id }).forUpdate().first()
  return row && toEditable(row)
}

/** The stations with these codes, locked, by code. */
export async function editableByCode(knex: Knex, codes: string[]) {
  const rows: EditableRow[] = await selectEditable(knex)
    .whereRaw('code = ANY(?::text[])', [pgArray(codes)])
    .forUpdate()
  return new Map(rows.map((r) => [r.code, { id: r.id, station: toEditable(r) }]))
}

/** An admin's table of stations: found by code, name or address, in the region, by id. */
export async function adminStationPage(knex: Knex, q: AdminStationsQuery, region: Region) {
  const query = whereIn(selectEditable(knex), region, 'stations')
    .select(
      knex.raw(`(SELECT count(*)::int FROM station_managers sm
                  WHERE sm.station_id = stations.id) AS managers`),
    )
    .orderBy('id')
    .limit(q.limit + 1)
  const text = q.q
  if (text)
    query.where((w) =>
      w
        .whereRaw('strpos(code, ?) > 0', [text.toUpperCase()])
        .orWhereRaw('strpos(name, ?) > 0', [text])
        .orWhereRaw('strpos(address, ?) > 0', [text]),
    )
  if (q.state) query.where('state', q.state)
  if (q.cursor !== undefined) query.where('id', '>', q.cursor)
  const rows: (EditableRow & { managers: number })[] = await query
  const { page, next_cursor } = keysetPage(rows, q.limit)
  return {
    stations: page.map(({ managers, ...r }) => ({ id: r.id, managers, ...toEditable(r) })),
    next_cursor,
  }
}

/** Every station of a region (retired ones too), by code. */
export async function editableInRegion(knex: Knex, region: Region) {
  const rows: EditableRow[] = await whereIn(selectEditable(knex), region, 'stations').orderBy(
    'code',
  )
  return rows.map(toEditable)
}

/** The columns of many stations, for unnest(). */
const stationColumns = (stations: CreateStation[]) =>
  columns(stations, (s) => [
    s.code,
    s.name,
    s.address,
    s.province,
    s.city,
    s.district,
    s.operator,
    s.location.lon,
    s.location.lat,
    pgArray(s.amenities),
    s.capacity,
    s.charging_points,
    s.opening_hours,
    s.timezone,
    s.phone,
    s.state,
  ])

const UNNEST = `unnest(?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[],
    ?::text[], ?::float8[], ?::float8[], ?::text[], ?::int[], ?::int[], ?::text[], ?::text[],
    ?::text[], ?::text[])
  AS t(code, name, address, province, city, district, operator, lon, lat, amenities, capacity,
    charging_points, opening_hours, timezone, phone, state)`

/** Many new stations in one statement (with their empty status); their ids, in order. */
export async function insertStations(knex: Knex, stations: CreateStation[]): Promise<number[]> {
  const { rows } = await knex.raw<{ rows: { id: number }[] }>(
    `WITH new AS (
       INSERT INTO stations (code, name, address, province, city, district, operator, location,
         amenities, capacity, charging_points, opening_hours, timezone, phone, state)
       SELECT code, name, address, province, city, district, operator,
         ST_SetSRID(ST_MakePoint(lon, lat), 4326)::geography, amenities::text[], capacity,
         charging_points, opening_hours, timezone, phone, state
       FROM ${UNNEST}
       RETURNING id, code),
     status AS (INSERT INTO station_status (station_id) SELECT id FROM new)
     SELECT id FROM new JOIN unnest(?::text[]) WITH ORDINALITY AS o(code, i) USING (code)
      ORDER BY o.i`,
    [...stationColumns(stations), pgArray(stations.map((s) => s.code))],
  )
  return rows.map((r) => r.id)
}

/** Many stations rewritten in one statement, matched by code. */
export async function updateStations(knex: Knex, stations: CreateStation[]): Promise<void> {
  await knex.raw(
    `UPDATE stations s SET name = t.name, address = t.address, province = t.province,
       city = t.city, district = t.district, operator = t.operator,
       location = ST_SetSRID(ST_MakePoint(t.lon, t.lat), 4326)::geography,
       amenities = t.amenities::text[], capacity = t.capacity,
       charging_points = t.charging_points, opening_hours = t.opening_hours,
       timezone = t.timezone, phone = t.phone, state = t.state, updated_at = now()
     FROM ${UNNEST}
     WHERE s.code = t.code`,
    stationColumns(stations),
  )
}

/**
 * For each station-to-be, the region of the nearest other station that is not retired and
 * names a city (one with the same code is the station itself, being moved), or null.
 */
export async function nearestRegions(
  knex: Knex,
  points: { code: string; location: { lon: number; lat: number } }[],
): Promise<({ province: string; city: string; district: string } | null)[]> {
  if (!points.length) return []
  const { rows } = await knex.raw(
    `SELECT n.province, n.city, n.district
       FROM unnest(?::float8[], ?::float8[], ?::text[]) WITH ORDINALITY AS p(lon, lat, code, i)
       LEFT JOIN LATERAL (
         SELECT s.province, s.city, s.district FROM stations s
          WHERE s.state <> 'retired' AND s.city <> '' AND s.code <> p.code
          ORDER BY s.location <-> ST_SetSRID(ST_MakePoint(p.lon, p.lat), 4326)::geography
          LIMIT 1) n ON true
      ORDER BY p.i`,
    columns(points, (p) => [p.location.lon, p.location.lat, p.code]),
  )
  return rows.map((r: { city: string | null }) => (r.city === null ? null : r))
}

export async function outline(knex: Knex) {
  const row = await knex
    .select(
      knex.raw(
        `ST_AsGeoJSON(ST_Buffer(ST_ConcaveHull(ST_Collect(location::geometry), 0.2), 0.05), 5)::json AS geometry`,
      ),
    )
    .from('stations')
    .whereNot('state', 'retired')
    .first()
  return { type: 'Feature' as const, properties: {}, geometry: row?.geometry ?? null }
}

export interface RegionPoint {
  province: string
  city: string
  /** Empty for a whole city. */
  district: string
  stations: number
  lon: number
  lat: number
  bbox: Bbox
}

/**
 * Each city and each district the stations name, at the geometric median of its stations (in
 * the core even when a few stations lie far out or are misfiled), with their extent. We hold
 * no boundaries: the stations stand in for them. For the map's labels and place search.
 */
export async function regionPoints(knex: Knex): Promise<RegionPoint[]> {
  const { rows } = await knex.raw<{
    rows: (Omit<RegionPoint, 'bbox'> & Record<'w' | 's' | 'e' | 'n', number>)[]
  }>(`
    WITH regions AS (
      SELECT province, city, coalesce(district, '') AS district, count(*)::int AS stations,
             ST_Collect(location::geometry) AS points
        FROM stations
       WHERE state <> 'retired' AND city <> ''
       GROUP BY GROUPING SETS ((province, city), (province, city, district))
      HAVING grouping(district) = 1 OR district <> ''
    )
    SELECT province, city, district, stations,
           ST_X(median) AS lon, ST_Y(median) AS lat,
           ST_XMin(points) AS w, ST_YMin(points) AS s, ST_XMax(points) AS e, ST_YMax(points) AS n
      FROM (SELECT *, ST_GeometricMedian(points) AS median FROM regions) r
     ORDER BY city, district`)
  return rows.map(({ w, s, e, n, ...row }) => ({ ...row, bbox: [w, s, e, n] }))
}

/** A label point for each city and each district, most stations first. */
export async function placeLabels(knex: Knex) {
  const round = (v: number) => Math.round(v * 1e5) / 1e5
  const labels = (await regionPoints(knex)).map((r) => ({
    level: r.district ? 'district' : 'city',
    name: r.district || r.city,
    city: r.city,
    stations: r.stations,
    at: [round(r.lon), round(r.lat)],
  }))
  labels.sort(
    (a, b) =>
      a.level.localeCompare(b.level) || b.stations - a.stations || a.name.localeCompare(b.name),
  )
  return {
    type: 'FeatureCollection' as const,
    features: labels.map(({ at, ...properties }) => ({
      type: 'Feature' as const,
      properties,
      geometry: { type: 'Point' as const, coordinates: at },
    })),
  }
}
