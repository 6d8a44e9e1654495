import KDBush from 'kdbush'
import { around } from 'geokdbush'
import { LRUCache } from 'lru-cache'
import type { Knex } from 'knex'
import { clientTimeoutMs } from '../db/knex.ts'
import { metres } from '../../../contract/sphere.ts'
import type { Bbox } from '../../../contract/bbox.ts'
import { AMENITIES, STATION_STATES, SUPPLIES } from '../../../contract/vocabulary.ts'
import type { ChangedStation, FeedObserver } from '../live/feed.ts'
import { isOpenFor } from './openingHours.ts'
import {
  readStationFields,
  selectStations,
  stationFields,
  type ReportedRow,
  type StationFieldsRow,
  type Station,
  type StationRow,
} from './queries.ts'
import type { BboxQuery, NearestQuery } from './schema.ts'
import { availabilityOf, deriveStatus, type StatusInput, type StatusRules } from './status.ts'
import type { LiveStatus } from '../../../contract/live-events.ts'

/** geokdbush's earth, in km: a radius in metres on PostGIS's sphere is the same angle on it. */
const GEOKDBUSH_KM = 6371
const SPHERE_M = 6_371_008.771415
/** How long reading every station may take, and how soon a failed read is tried again. */
const LOAD_TIMEOUT_MS = 120_000
const RETRY_MS = 5_000
/** Stations read per query while loading: a million rows at once would all be objects at once. */
const LOAD_PAGE = 20_000
/** Stations added or moved since the tree was built are scanned; past this many, rebuild. */
const MAX_LOOSE = 512

/** The columns below hold the database's CHECKed ranges: counts 0..10000, supply levels 0..100. */
const NULL_COUNT = -1
const NO_SUPPLY = 255
const FREE_SLOT = 255
const ACTIVE = STATION_STATES.indexOf('active')
const AMENITY_BIT = new Map<string, number>(AMENITIES.map((a, i) => [a, 1 << i]))
const SUPPLY_AT = new Map<string, number>(SUPPLIES.map((s, i) => [s, i]))
const NSUPPLY = SUPPLIES.length
/** The order jsonb keeps an object's keys in (shorter first, then bytewise): a row's supplies. */
const SUPPLY_ORDER = SUPPLIES.map((_, i) => i).sort(
  (a, b) =>
    SUPPLIES[a]!.length - SUPPLIES[b]!.length ||
    (SUPPLIES[a]! < SUPPLIES[b]! ? -1 : SUPPLIES[a]! > SUPPLIES[b]! ? 1 : 0),
)

const amenityMask = (amenities: readonly string[] | undefined) => {
  let mask = 0
  for (const a of amenities ?? []) mask |= AMENITY_BIT.get(a) ?? 0
  return mask
}

/** SQL's three-valued logic, as numbers. */
const TRUE = 1
const FALSE = 0
const NULL = -1

/** The groups of `order=open_first`, in the order they are listed (None: not ranked). */
const Rank = {
  None: 0,
  /** Open, and a free seat (and charger, when asked for) or no fresh report to say otherwise. */
  Room: 1,
  /** Open, but a fresh report says it is full (or every charger is taken, when asked for). */
  Full: 2,
  /** Outside its hours, or temporarily closed. */
  Closed: 3,
} as const
type Rank = (typeof Rank)[keyof typeof Rank]

/** A nearest query's filters, worked out once for all its candidates. */
interface Filter {
  amenities: number
  supplies: number
  onlyOpen: boolean
  openFor: number
  available: boolean
  charger: boolean
  freshSince: number
  now: Date
}

/** A station picked for an answer, and its slot's generation then. */
interface Picked {
  id: number
  slot: number
  gen: number
}

/** One station of an answer: its JSON is `head`, its cached fields, `tail`. */
interface Part extends Picked {
  head: string
  tail: string
}

/** A station's fixed fields as kept in the cache: its JSON, and the labels its tile feature shows. */
interface Body {
  /** All but its derived status and location, without the closing brace. */
  json: string
  code: string
  name: string
  /** Comma-separated, in the station's order. */
  amenities: string
}

/** A station in a tile, as the tile shows it (see tiles/fromIndex.ts). */
export interface TileStation {
  id: number
  lon: number
  lat: number
  code: string
  name: string
  amenities: string
  capacity: number
  charging_points: number
  status: TileStatus
  /** Its report's time, epoch ms (NaN: none): when it turns stale. */
  reportedAt: number
  /** The (opening_hours, timezone) of an active station: when it opens or closes. */
  schedule: readonly [hours: string, timeZone: string] | null
}

export type TileStatus = Pick<
  LiveStatus,
  | 'availability'
  | 'stale'
  | 'open_now'
  | 'occupancy'
  | 'available_spaces'
  | 'charging_points_in_use'
  | 'version'
> & {
  /** The low supplies, comma-separated, in the order the jsonb keeps them. */
  low_supplies: string
}

function grow<
  T extends Int8Array | Int16Array | Int32Array | Uint8Array | Uint16Array | Float64Array,
>(a: T, size: number, fill?: number): T {
  const next = new (a.constructor as new (n: number) => T)(size)
  next.set(a)
  if (fill !== undefined) next.fill(fill, a.length)
  return next
}

/** Every station's searchable state, a slot each, in typed arrays (a few dozen bytes a station). */
class Columns {
  /** Slots handed out so far (free ones included). */
  length = 0
  private capacityOf = 0
  id = new Int32Array(0)
  lon = new Float64Array(0)
  lat = new Float64Array(0)
  amenities = new Uint16Array(0)
  /** Index in STATION_STATES; FREE_SLOT when the slot holds no station. */
  state = new Uint8Array(0)
  capacity = new Int16Array(0)
  chargingPoints = new Int16Array(0)
  occupancy = new Int16Array(0)
  inUse = new Int16Array(0)
  /** Epoch ms; NaN for none. */
  reportedAt = new Float64Array(0)
  version = new Int32Array(0)
  schedule = new Int32Array(0)
  /** NSUPPLY per slot, NO_SUPPLY where the station keeps none of it. */
  level = new Uint8Array(0)
  threshold = new Uint8Array(0)
  /** A bit per supply (SUPPLIES' order) at or above its threshold. */
  inStock = new Uint8Array(0)
  /** 1 while the slot's station stands where the tree has it. */
  inTree = new Uint8Array(0)
  /** Bumped on every change, so a station's fields read from the database meanwhile are not kept. */
  gen = new Uint8Array(0)
  /** Slot by station id (ids are dense: the table's identity). */
  slotOf = new Int32Array(0)
  private free: number[] = []

  slotFor(id: number): number {
    if (id >= this.slotOf.length)
      this.slotOf = grow(this.slotOf, Math.max(id + 1, this.slotOf.length * 1.5) | 0, -1)
    let slot = this.slotOf[id]!
    if (slot >= 0) return slot
    slot = this.free.pop() ?? this.length++
    if (slot >= this.capacityOf) this.resize(Math.max(1024, (this.capacityOf * 1.5) | 0))
    this.slotOf[id] = slot
    this.id[slot] = id
    this.inTree[slot] = 0
    return slot
  }

  has(id: number) {
    return id < this.slotOf.length && this.slotOf[id]! >= 0
  }

  remove(id: number) {
    const slot = id < this.slotOf.length ? this.slotOf[id]! : -1
    if (slot < 0) return
    this.slotOf[id] = -1
    this.state[slot] = FREE_SLOT
    this.inTree[slot] = 0
    this.gen[slot]!++
    this.free.push(slot)
  }

  get size() {
    return this.length - this.free.length
  }

  /** The bytes its arrays take. */
  get bytes() {
    const arrays: ArrayBufferView[] = [this.slotOf, this.id, this.lon, this.lat, this.amenities]
    arrays.push(this.state, this.capacity, this.chargingPoints, this.occupancy, this.inUse)
    arrays.push(this.reportedAt, this.version, this.schedule, this.level, this.threshold)
    arrays.push(this.inStock, this.inTree, this.gen)
    return arrays.reduce((n, a) => n + a.byteLength, 0)
  }

  /** Room for this many stations with ids up to maxId, so a load grows nothing by half again. */
  reserve(stations: number, maxId: number) {
    this.resize(stations + 1024)
    this.slotOf = grow(this.slotOf, maxId + 1024, -1)
  }

  private resize(n: number) {
    this.capacityOf = n
    this.id = grow(this.id, n)
    this.lon = grow(this.lon, n)
    this.lat = grow(this.lat, n)
    this.amenities = grow(this.amenities, n)
    this.state = grow(this.state, n, FREE_SLOT)
    this.capacity = grow(this.capacity, n)
    this.chargingPoints = grow(this.chargingPoints, n)
    this.occupancy = grow(this.occupancy, n)
    this.inUse = grow(this.inUse, n)
    this.reportedAt = grow(this.reportedAt, n)
    this.version = grow(this.version, n)
    this.schedule = grow(this.schedule, n)
    this.level = grow(this.level, n * NSUPPLY)
    this.threshold = grow(this.threshold, n * NSUPPLY)
    this.inStock = grow(this.inStock, n)
    this.inTree = grow(this.inTree, n)
    this.gen = grow(this.gen, n)
  }
}

/** The (opening_hours, timezone) pairs stations use, each once; a slot keeps its pair's number. */
class Schedules {
  hours: string[] = []
  zones: string[] = []
  private numbers = new Map<string, number>()
  /** Whether each schedule is open for the query being answered, by `stamp`: 1, 0 or unknown. */
  open = new Int8Array(0)
  openFor = new Int8Array(0)
  stamp = new Float64Array(0)
  stampFor = new Float64Array(0)

  intern(hours: string, zone: string): number {
    const key = `${zone}\n${hours}`
    let n = this.numbers.get(key)
    if (n === undefined) {
      n = this.hours.length
      this.numbers.set(key, n)
      this.hours.push(hours)
      this.zones.push(zone)
      if (n >= this.open.length) {
        const size = Math.max(64, this.open.length * 2)
        this.open = grow(this.open, size)
        this.openFor = grow(this.openFor, size)
        this.stamp = grow(this.stamp, size, NaN)
        this.stampFor = grow(this.stampFor, size, NaN)
      }
    }
    return n
  }
}

export interface StationIndexOptions {
  /** The most the stations' cached JSON may take, in bytes (two a character: V8's wide strings). */
  bodyCacheBytes?: number
}

/**
 * Every station that is not retired, in this process: nearest and the bbox listing answer from
 * it as the SQL in queries.ts does (a parity test holds them to the same ids, order and
 * distances). What the searches read is kept in typed arrays, a slot per station; each
 * station's fixed JSON (all but its derived status and location) is kept in a cache bounded in
 * bytes, read from the database again when it has been let go. The status is derived by the
 * same deriveStatus from the columns. Kept current by the change feed: a change rewrites the
 * slot; an added or moved station goes to a short list scanned beside the tree, which is
 * rebuilt once that list grows; a lost feed reloads everything.
 */
export class StationIndex implements FeedObserver {
  private cols = new Columns()
  private schedules = new Schedules()
  private bodies: LRUCache<number, Body>
  private tree?: KDBush
  /** The slot of each point in the tree, by the tree's index. */
  private treeSlot = new Int32Array(0)
  /** Slots not (or no longer rightly) in the tree. */
  private loose = new Set<number>()
  private loading?: Promise<void>
  /** Changed while a load read its snapshot: read again once it is in. */
  private changedWhileLoading = new Set<number>()
  /** Reading those again after a load. */
  private catchingUp = false
  private reloadAfter = false
  /** Numbers each query, for the schedules' memo. */
  private query = 0
  private readonly bodyCacheBytes: number
  /** Answers only once loaded; until then the SQL does. */
  ready = false

  constructor(
    private readonly knex: Knex,
    private readonly log: (err: unknown) => void = () => {},
    options: StationIndexOptions = {},
  ) {
    this.bodyCacheBytes = options.bodyCacheBytes ?? 96 * 2 ** 20
    this.bodies = this.newBodies()
  }

  get size() {
    return this.cols.size
  }

  /**
   * Loaded, and not reading everything again (nor what changed meanwhile): every change the feed
   * has brought is in. A tile cached from it stays right until the feed drops it.
   */
  get current() {
    return this.ready && !this.loading && !this.catchingUp
  }

  /**
   * Bytes held: `search`, what the searches read (columns, tree, schedules), which grows with
   * the stations; `bodies`, the stations' cached JSON and tile labels, bounded by bodyCacheBytes.
   */
  memory(): { search: number; bodies: number } {
    const s = this.schedules
    let schedules = s.open.byteLength * 2 + s.stamp.byteLength * 2
    for (let k = 0; k < s.hours.length; k++) schedules += s.hours[k]!.length + s.zones[k]!.length
    const tree = (this.tree?.data.byteLength ?? 0) + this.treeSlot.byteLength
    return { search: this.cols.bytes + tree + schedules, bodies: this.bodies.calculatedSize }
  }

  private newBodies() {
    return new LRUCache<number, Body>({
      maxSize: this.bodyCacheBytes,
      sizeCalculation: bodySize,
    })
  }

  /** Reads every station; a load that fails is tried again (answers come from SQL meanwhile). */
  load(): Promise<void> {
    this.loading ??= (async () => {
      try {
        const cols = new Columns()
        const schedules = new Schedules()
        const bodies = this.newBodies()
        let full = false
        await this.knex.transaction(async (trx) => {
          // a national network takes longer than a courier's query may
          await trx.raw("SELECT set_config('statement_timeout', ?, true)", [
            String(LOAD_TIMEOUT_MS),
          ])
          const [{ n, max }] = await trx('stations')
            .whereNot('state', 'retired')
            .select(trx.raw('count(*)::int AS n'), trx.raw('coalesce(max(id), 0)::int AS max'))
          cols.reserve(n, max)
          for (let after = 0; ;) {
            const rows = (await selectStations(trx)
              .whereNot('s.state', 'retired')
              .where('s.id', '>', after)
              .orderBy('s.id')
              .limit(LOAD_PAGE)
              .options({ query_timeout: clientTimeoutMs(LOAD_TIMEOUT_MS) })) as StationRow[]
            for (const row of rows) {
              put(cols, schedules, row)
              // as many as fit: the first answers need not go to the database
              if (full) continue
              const body = rowBody(row)
              if (bodies.calculatedSize + bodySize(body) > this.bodyCacheBytes) full = true
              else bodies.set(row.id, body)
            }
            if (rows.length < LOAD_PAGE) break
            after = rows[rows.length - 1]!.id
          }
        })
        this.cols = cols
        this.schedules = schedules
        this.bodies = bodies
        this.rebuild()
        this.ready = true
      } catch (err) {
        this.log(err)
        setTimeout(() => void this.load().catch(() => {}), RETRY_MS).unref()
        throw err
      } finally {
        this.loading = undefined
      }
      const again = [...this.changedWhileLoading]
      this.changedWhileLoading.clear()
      this.catchingUp = true
      try {
        await this.refresh(again)
      } finally {
        this.catchingUp = false
      }
      if (this.reloadAfter) {
        this.reloadAfter = false
        await this.load()
      }
    })()
    return this.loading
  }

  /** Reads these stations again now: a writer's own change is answered before the feed's. */
  async refresh(ids: number[]) {
    if (!ids.length) return
    const rows: StationRow[] = await selectStations(this.knex).whereIn('s.id', ids)
    const found = new Set(rows.map((r) => r.id))
    for (const id of ids) if (!found.has(id)) this.forget(id)
    this.apply(rows.map((row) => ({ row })))
  }

  /**
   * A report this node has just committed, in at once without reading it back: its live fields,
   * unless the feed has already brought that version or a later one. A report changes nothing
   * else of a station. False when the station is not in the index (read it instead).
   */
  reported(row: ReportedRow): boolean {
    if (this.loading) this.changedWhileLoading.add(row.id)
    const c = this.cols
    if (!c.has(row.id)) return false
    const slot = c.slotOf[row.id]!
    if ((row.version ?? 0) > c.version[slot]!) putReport(c, slot, row)
    return true
  }

  /** This node's own report (from the feed): in at once, or read if the index lacks the station. */
  async ownReport(row: ReportedRow) {
    if (!this.reported(row)) await this.refresh([row.id])
  }

  /** The same for stations known by code (an import's). */
  async refreshCodes(codes: string[]) {
    if (!codes.length) return
    const rows: StationRow[] = await selectStations(this.knex).whereIn('s.code', codes)
    this.apply(rows.map((row) => ({ row })))
  }

  changed(batch: ChangedStation[]) {
    this.apply(batch)
  }

  resync() {
    // a load under way may have read before the changes the lost feed missed
    if (this.loading) this.reloadAfter = true
    void this.load().catch(() => {})
  }

  private forget(id: number) {
    if (this.loading) this.changedWhileLoading.add(id)
    const slot = this.cols.has(id) ? this.cols.slotOf[id]! : -1
    if (slot >= 0) this.loose.delete(slot)
    this.cols.remove(id)
    this.bodies.delete(id)
  }

  private apply(batch: { row: StationRow; station?: Station }[]) {
    const c = this.cols
    for (const { row, station } of batch) {
      if (row.state === 'retired') {
        this.forget(row.id)
        continue
      }
      if (this.loading) this.changedWhileLoading.add(row.id)
      const known = c.has(row.id)
      const slot = c.slotFor(row.id)
      const inPlace =
        known && c.inTree[slot] === 1 && c.lon[slot] === row.lon && c.lat[slot] === row.lat
      put(c, this.schedules, row)
      c.gen[slot]!++
      if (inPlace) this.loose.delete(slot)
      else {
        c.inTree[slot] = 0
        this.loose.add(slot)
      }
      this.bodies.set(row.id, bodyOf(station ?? stationFields(row)))
    }
    if (this.loose.size > MAX_LOOSE) this.rebuild()
  }

  private rebuild() {
    const c = this.cols
    const tree = new KDBush(Math.max(c.size, 1))
    const treeSlot = new Int32Array(Math.max(c.size, 1)).fill(-1)
    let n = 0
    for (let slot = 0; slot < c.length; slot++) {
      if (c.state[slot] === FREE_SLOT) continue
      tree.add(c.lon[slot]!, c.lat[slot]!)
      treeSlot[n++] = slot
      c.inTree[slot] = 1
    }
    if (!n) tree.add(0, 0)
    tree.finish()
    this.tree = tree
    this.treeSlot = treeSlot
    this.loose.clear()
  }

  /** The slot of the tree's point `i`, or -1 when it moved or left since. */
  private treePoint(i: number): number {
    const slot = this.treeSlot[i]!
    return slot >= 0 && this.cols.inTree[slot] === 1 ? slot : -1
  }

  private scheduleOpen(schedule: number, minutes: number, now: Date): boolean {
    const s = this.schedules
    const values = minutes === 0 ? s.open : s.openFor
    const stamps = minutes === 0 ? s.stamp : s.stampFor
    if (stamps[schedule] !== this.query) {
      stamps[schedule] = this.query
      values[schedule] = isOpenFor(s.hours[schedule]!, s.zones[schedule]!, now, minutes) ? 1 : 0
    }
    return values[schedule] === 1
  }

  private isOpen(slot: number, minutes: number, now: Date) {
    return (
      this.cols.state[slot] === ACTIVE && this.scheduleOpen(this.cols.schedule[slot]!, minutes, now)
    )
  }

  /** SQL's `occupancy < capacity [AND in_use < charging_points]`, three-valued. */
  private room(slot: number, charger: boolean): number {
    const c = this.cols
    const occupancy = c.occupancy[slot]!
    const seat = occupancy === NULL_COUNT ? NULL : occupancy < c.capacity[slot]! ? TRUE : FALSE
    if (!charger || seat === FALSE) return seat
    const inUse = c.inUse[slot]!
    const plug = inUse === NULL_COUNT ? NULL : inUse < c.chargingPoints[slot]! ? TRUE : FALSE
    return plug === FALSE ? FALSE : seat === NULL || plug === NULL ? NULL : TRUE
  }

  private matches(slot: number, f: Filter, rank: Rank): boolean {
    const c = this.cols
    if ((c.amenities[slot]! & f.amenities) !== f.amenities) return false
    if ((c.inStock[slot]! & f.supplies) !== f.supplies) return false
    if (f.onlyOpen && !this.isOpen(slot, f.openFor, f.now)) return false
    // NaN (no report) is never fresh
    const fresh = c.reportedAt[slot]! >= f.freshSince
    if (f.available && !(this.room(slot, f.charger) === TRUE && fresh)) return false
    if (rank === Rank.None) return true
    if (rank === Rank.Closed) return !this.isOpen(slot, 0, f.now)
    if (!this.isOpen(slot, 0, f.now)) return false
    const full = fresh && this.room(slot, f.charger) === FALSE
    return rank === Rank.Full ? full : !full
  }

  /** The stations nearest answers, with their distances. */
  private pick(q: NearestQuery, rules: StatusRules) {
    this.query++
    const onlyOpen = q.open_now || q.available || q.open_for !== undefined
    const ranked = q.order === 'open_first' && !q.available
    let supplies = 0
    for (const item of q.supplies ?? []) supplies |= 1 << (SUPPLY_AT.get(item) ?? 31)
    const f: Filter = {
      amenities: amenityMask(q.amenities),
      supplies,
      onlyOpen,
      openFor: q.open_for ?? 0,
      available: q.available === true,
      charger: q.amenities?.includes('ebike_charging') ?? false,
      freshSince: rules.now.getTime() - rules.staleAfterMs,
      now: rules.now,
    }
    const c = this.cols
    const from: [number, number] = [q.lon, q.lat]
    const maxKm =
      q.radius_m === undefined ? Infinity : (q.radius_m / SPHERE_M) * GEOKDBUSH_KM * 1.000001
    const nearestOf = (limit: number, rank: Rank) => {
      const found: { slot: number; d: number }[] = []
      const accept = (i: number) => {
        const slot = this.treePoint(i)
        return slot >= 0 && this.matches(slot, f, rank)
      }
      for (const i of around(this.tree!, q.lon, q.lat, limit, maxKm, accept)) {
        const slot = this.treeSlot[i]!
        found.push({ slot, d: metres(from, [c.lon[slot]!, c.lat[slot]!]) })
      }
      for (const slot of this.loose)
        if (this.matches(slot, f, rank))
          found.push({ slot, d: metres(from, [c.lon[slot]!, c.lat[slot]!]) })
      return found
        .filter((x) => q.radius_m === undefined || x.d <= q.radius_m)
        .sort((a, b) => a.d - b.d)
        .slice(0, limit)
    }

    let picked: { slot: number; d: number }[] = []
    if (!ranked) picked = nearestOf(q.limit, Rank.None)
    else {
      const groups = onlyOpen ? [Rank.Room, Rank.Full] : [Rank.Room, Rank.Full, Rank.Closed]
      for (const rank of groups) {
        if (picked.length >= q.limit) break
        picked = picked.concat(nearestOf(q.limit - picked.length, rank))
      }
    }
    return picked
  }

  /** A slot's status as deriveStatus gives it for the row the slot was made from. */
  private statusJson(slot: number, rules: StatusRules): string {
    const c = this.cols
    let supplies: StatusInput['supplies'] = null
    for (const k of SUPPLY_ORDER) {
      const level = c.level[slot * NSUPPLY + k]!
      if (level === NO_SUPPLY) continue
      supplies ??= {}
      supplies[SUPPLIES[k]!] = [level, c.threshold[slot * NSUPPLY + k]!]
    }
    const schedule = c.schedule[slot]!
    const occupancy = c.occupancy[slot]!
    const inUse = c.inUse[slot]!
    const reportedAt = c.reportedAt[slot]!
    const input: StatusInput = {
      state: STATION_STATES[c.state[slot]!]!,
      capacity: c.capacity[slot]!,
      opening_hours: this.schedules.hours[schedule]!,
      timezone: this.schedules.zones[schedule]!,
      occupancy: occupancy === NULL_COUNT ? null : occupancy,
      charging_points_in_use: inUse === NULL_COUNT ? null : inUse,
      reported_at: Number.isNaN(reportedAt) ? null : new Date(reportedAt),
      version: c.version[slot]!,
      supplies,
    }
    return JSON.stringify(deriveStatus(input, rules.now, rules.staleAfterMs))
  }

  private part(slot: number, head: string, tail: string): Part {
    return { ...this.picked(slot), head, tail }
  }

  private nearestParts(q: NearestQuery, rules: StatusRules) {
    const c = this.cols
    return this.pick(q, rules).map(({ slot, d }) =>
      this.part(
        slot,
        '',
        `,"location":{"lon":${c.lon[slot]},"lat":${c.lat[slot]}},"status":${this.statusJson(slot, rules)},"distance_m":${JSON.stringify(d)}}`,
      ),
    )
  }

  /**
   * The nearest answer's JSON as `res.json({ query, results })` would write it; a promise when
   * it must read the fields of stations the cache no longer holds.
   */
  nearestAnswer(q: NearestQuery, rules: StatusRules): Buffer | Promise<Buffer> {
    return this.compose(this.nearestParts(q, rules), `{"query":${JSON.stringify(q)},"results":[`)
  }

  /** The nearest stations as findNearest gives them. */
  async nearest(
    q: NearestQuery,
    rules: StatusRules,
  ): Promise<(Station & { distance_m: number })[]> {
    return JSON.parse((await this.nearestAnswer(q, rules)).toString()).results
  }

  /** The slots of the stations inside a bbox (edges included), in no order. */
  private slotsIn([w, s, e, n]: Readonly<Bbox>) {
    const c = this.cols
    const slots: number[] = []
    for (const i of this.tree!.range(w, s, e, n)) {
      const slot = this.treePoint(i)
      if (slot >= 0) slots.push(slot)
    }
    for (const slot of this.loose) {
      const [lon, lat] = [c.lon[slot]!, c.lat[slot]!]
      if (lon >= w && lon <= e && lat >= s && lat <= n) slots.push(slot)
    }
    return slots
  }

  /** A page of the stations inside a bbox, by id, as findInBbox answers it. */
  private bboxParts(q: BboxQuery, rules: StatusRules) {
    const c = this.cols
    const slots = this.slotsIn(q.bbox as Readonly<Bbox>)
    const amenities = amenityMask(q.amenities)
    const page = slots
      .filter((slot) => q.cursor === undefined || c.id[slot]! > q.cursor)
      .sort((a, b) => c.id[a]! - c.id[b]!)
      .filter((slot) => (c.amenities[slot]! & amenities) === amenities)
      .slice(0, q.limit + 1)
    // as keysetPage pages
    const more = page.length > q.limit
    if (more) page.pop()
    const nextCursor = more ? String(c.id[page[page.length - 1]!]) : null
    const parts = page.map((slot) =>
      this.part(
        slot,
        `{"type":"Feature","id":${c.id[slot]},"geometry":{"type":"Point","coordinates":[${c.lon[slot]},${c.lat[slot]}]},"properties":`,
        `,"status":${this.statusJson(slot, rules)}}}`,
      ),
    )
    return { parts, after: `],"next_cursor":${JSON.stringify(nextCursor)}}` }
  }

  /** The bbox page's JSON as findInBbox's page is written; a promise as for nearestAnswer. */
  inBboxAnswer(q: BboxQuery, rules: StatusRules): Buffer | Promise<Buffer> {
    const { parts, after } = this.bboxParts(q, rules)
    return this.compose(parts, '{"type":"FeatureCollection","features":[', after)
  }

  /** A page of the stations inside a bbox, as findInBbox gives it. */
  async inBbox(q: BboxQuery, rules: StatusRules) {
    return JSON.parse((await this.inBboxAnswer(q, rules)).toString())
  }

  /**
   * The stations inside a bbox as tiles show them, with their status at `rules.now`; a promise
   * when the labels of some must be read first.
   */
  tileStations(box: Readonly<Bbox>, rules: StatusRules): TileStation[] | Promise<TileStation[]> {
    this.query++
    const c = this.cols
    const freshSince = rules.now.getTime() - rules.staleAfterMs
    const picked = this.slotsIn(box).map((slot) => {
      const state = STATION_STATES[c.state[slot]!]!
      const openNow = this.isOpen(slot, 0, rules.now)
      const reportedAt = c.reportedAt[slot]!
      const stale = !(reportedAt >= freshSince)
      const capacity = c.capacity[slot]!
      const occupancy = Math.max(c.occupancy[slot]!, 0)
      let low = ''
      for (const k of SUPPLY_ORDER) {
        const level = c.level[slot * NSUPPLY + k]!
        if (level !== NO_SUPPLY && level < c.threshold[slot * NSUPPLY + k]!)
          low += (low ? ',' : '') + SUPPLIES[k]
      }
      const schedule = c.schedule[slot]!
      const station: Omit<TileStation, 'code' | 'name' | 'amenities'> = {
        id: c.id[slot]!,
        lon: c.lon[slot]!,
        lat: c.lat[slot]!,
        capacity,
        charging_points: c.chargingPoints[slot]!,
        status: {
          availability: availabilityOf(state, openNow, stale, occupancy, capacity),
          stale,
          open_now: openNow,
          occupancy,
          available_spaces: Math.max(capacity - occupancy, 0),
          charging_points_in_use: Math.max(c.inUse[slot]!, 0),
          version: c.version[slot]!,
          low_supplies: low,
        },
        reportedAt,
        schedule:
          c.state[slot] === ACTIVE
            ? [this.schedules.hours[schedule]!, this.schedules.zones[schedule]!]
            : null,
      }
      return { pick: this.picked(slot), station }
    })
    const labelled = (bodies: (Body | undefined)[]) =>
      picked.flatMap(({ station }, k) => {
        const body = bodies[k]
        return body
          ? [{ ...station, code: body.code, name: body.name, amenities: body.amenities }]
          : []
      })
    const bodies = this.bodiesOf(picked.map((p) => p.pick))
    return bodies instanceof Promise ? bodies.then(labelled) : labelled(bodies)
  }

  private picked(slot: number): Picked {
    return { id: this.cols.id[slot]!, slot, gen: this.cols.gen[slot]! }
  }

  /** The answer's bytes; the parts around the bodies are ASCII, so they are their own UTF-8. */
  private compose(parts: Part[], before: string, after = ']}'): Buffer | Promise<Buffer> {
    const join = (bodies: (Body | undefined)[]) => {
      let json = before
      let first = true
      parts.forEach((p, k) => {
        // a station deleted while its fields were read is left out
        if (bodies[k] === undefined) return
        json += (first ? '' : ',') + p.head + bodies[k].json + p.tail
        first = false
      })
      return Buffer.from(json + after, 'latin1')
    }
    const bodies = this.bodiesOf(parts)
    return bodies instanceof Promise ? bodies.then(join) : join(bodies)
  }

  /** The picked stations' cached fields: at once, or once those the cache let go are read. */
  private bodiesOf(picks: Picked[]): (Body | undefined)[] | Promise<(Body | undefined)[]> {
    const bodies = picks.map((p) => this.bodies.get(p.id))
    return bodies.includes(undefined) ? this.reading(picks, bodies) : bodies
  }

  private async reading(picks: Picked[], bodies: (Body | undefined)[]) {
    const missing = picks.filter((_, k) => bodies[k] === undefined)
    const [cache, cols] = [this.bodies, this.cols]
    const rows = await readStationFields(
      this.knex,
      missing.map((p) => p.id),
    )
    const read = new Map(rows.map((row) => [row.id, rowBody(row)]))
    // kept only when the station has not changed (nor the index reloaded) since it was picked
    for (const p of missing) {
      const body = read.get(p.id)
      const same = cache === this.bodies && cols === this.cols && cols.id[p.slot] === p.id
      if (body !== undefined && same && cols.gen[p.slot] === p.gen) cache.set(p.id, body)
    }
    return picks.map((p, k) => bodies[k] ?? read.get(p.id))
  }
}

/** Writes a row into its slot (which the row's id must have). */
function put(c: Columns, schedules: Schedules, row: StationRow) {
  const slot = c.slotFor(row.id)
  c.lon[slot] = row.lon
  c.lat[slot] = row.lat
  c.amenities[slot] = amenityMask(row.amenities)
  c.state[slot] = STATION_STATES.indexOf(row.state as never)
  c.capacity[slot] = row.capacity
  c.chargingPoints[slot] = row.charging_points
  c.schedule[slot] = schedules.intern(row.opening_hours, row.timezone)
  putReport(c, slot, row)
}

function putReport(c: Columns, slot: number, row: ReportedRow) {
  c.occupancy[slot] = row.occupancy ?? NULL_COUNT
  c.inUse[slot] = row.charging_points_in_use ?? NULL_COUNT
  c.reportedAt[slot] = row.reported_at === null ? NaN : +new Date(row.reported_at)
  c.version[slot] = row.version ?? 0
  c.level.fill(NO_SUPPLY, slot * NSUPPLY, (slot + 1) * NSUPPLY)
  let inStock = 0
  for (const [item, [level, threshold]] of Object.entries(row.supplies ?? {})) {
    const k = SUPPLY_AT.get(item)
    if (k === undefined) continue
    c.level[slot * NSUPPLY + k] = level
    c.threshold[slot * NSUPPLY + k] = threshold
    if (level >= threshold) inStock |= 1 << k
  }
  c.inStock[slot] = inStock
}

/** A station's cached fields: its JSON up to its status, without its location, and its labels. */
function bodyOf(
  station: Omit<Station, 'status'> & { status?: unknown; distance_m?: number },
): Body {
  const { status: _s, location: _l, distance_m: _d, ...fixed } = station
  return {
    // its UTF-8 bytes a character each: V8 keeps that in a byte a character, not two as Chinese
    json: Buffer.from(JSON.stringify(fixed).slice(0, -1)).toString('latin1'),
    code: station.code,
    name: station.name,
    amenities: station.amenities.join(','),
  }
}

const rowBody = (row: StationFieldsRow) => bodyOf(stationFields(row))

/**
 * A cached body's bytes, about: the JSON a byte a character, the labels two (Chinese), and the
 * strings' and the entry's own.
 */
const bodySize = (b: Body) =>
  b.json.length + 2 * (b.code.length + b.name.length) + b.amenities.length + 112
