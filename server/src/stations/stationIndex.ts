import KDBush from 'kdbush'
import { around } from 'geokdbush'
import type { Knex } from 'knex'
import { clientTimeoutMs } from '../db/knex.ts'
import { metres } from '../../../contract/sphere.ts'
import type { Bbox } from '../../../contract/bbox.ts'
import type { ChangedStation, FeedObserver } from '../live/feed.ts'
import { pointFeaturePage } from '../http/paging.ts'
import { isOpenFor } from './openingHours.ts'
import { selectStations, toStation, type StationRow } from './queries.ts'
import type { BboxQuery, NearestQuery } from './schema.ts'
import { deriveStatus, type StatusRules } from './status.ts'

/** geokdbush's earth, in km: a radius in metres on PostGIS's sphere is the same angle on it. */
const GEOKDBUSH_KM = 6371
const SPHERE_M = 6_371_008.771415
/** How long reading every station may take, and how soon a failed read is tried again. */
const LOAD_TIMEOUT_MS = 120_000
const RETRY_MS = 5_000
/** Stations added or moved since the tree was built are scanned; past this many, rebuild. */
const MAX_LOOSE = 512

type Rank = 'room' | 'full' | 'closed'

/**
 * Every station that is not retired, in this process: nearest and the bbox listing answer from
 * it as the SQL in queries.ts does (a parity test holds them to the same ids, order and
 * distances). Rows are kept as the database gives them and answered through the same
 * toStation, so the derived status is the same code. Kept current by the change feed: a
 * status change replaces the row; an added or moved station goes to a short list scanned
 * beside the tree, which is rebuilt once that list grows; a lost feed reloads everything.
 */
export class StationIndex implements FeedObserver {
  private rows = new Map<number, StationRow>()
  /** Rows are replaced, never changed, on a change: their JSON is kept while they are current. */
  private serialised = new WeakMap<StationRow, string>()
  private tree?: KDBush
  /** The station id of each point in the tree, by the tree's index. */
  private treeIds = new Int32Array(0)
  /** Where each id stands in the tree, to tell whether it moved since. */
  private treeAt = new Map<number, number>()
  /** Ids not (or no longer rightly) in the tree. */
  private loose = new Set<number>()
  private loading?: Promise<void>
  /** Changed while a load read its snapshot: read again once it is in. */
  private changedWhileLoading = new Set<number>()
  private reloadAfter = false
  /** Answers only once loaded; until then the SQL does. */
  ready = false

  constructor(
    private readonly knex: Knex,
    private readonly log: (err: unknown) => void = () => {},
  ) {}

  get size() {
    return this.rows.size
  }

  /** Reads every station; a load that fails is tried again (answers come from SQL meanwhile). */
  load(): Promise<void> {
    this.loading ??= (async () => {
      try {
        const rows = await this.knex.transaction(async (trx) => {
          // a national network takes longer than a courier's query may
          await trx.raw("SELECT set_config('statement_timeout', ?, true)", [
            String(LOAD_TIMEOUT_MS),
          ])
          return (await selectStations(trx)
            .whereNot('s.state', 'retired')
            .options({ query_timeout: clientTimeoutMs(LOAD_TIMEOUT_MS) })) as StationRow[]
        })
        this.rows = new Map(rows.map((r) => [r.id, r]))
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
      await this.refresh(again)
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
    for (const id of ids) this.rows.delete(id)
    this.apply(rows)
  }

  /** The same for stations known by code (an import's). */
  async refreshCodes(codes: string[]) {
    if (!codes.length) return
    this.apply(await selectStations(this.knex).whereIn('s.code', codes))
  }

  changed(batch: ChangedStation[]) {
    this.apply(batch.map((c) => c.row))
  }

  resync() {
    // a load under way may have read before the changes the lost feed missed
    if (this.loading) this.reloadAfter = true
    void this.load().catch(() => {})
  }

  private apply(rows: StationRow[]) {
    for (const row of rows) {
      if (this.loading) this.changedWhileLoading.add(row.id)
      if (row.state === 'retired') {
        this.rows.delete(row.id)
        this.loose.delete(row.id)
        continue
      }
      this.rows.set(row.id, row)
      const at = this.treeAt.get(row.id)
      const inPlace =
        at !== undefined &&
        this.tree!.coords[2 * at] === row.lon &&
        this.tree!.coords[2 * at + 1] === row.lat
      if (!inPlace) this.loose.add(row.id)
      else this.loose.delete(row.id)
    }
    if (this.loose.size > MAX_LOOSE) this.rebuild()
  }

  private rebuild() {
    const ids = [...this.rows.keys()]
    const tree = new KDBush(Math.max(ids.length, 1))
    for (const id of ids) {
      const r = this.rows.get(id)!
      tree.add(r.lon, r.lat)
    }
    if (!ids.length) tree.add(0, 0)
    tree.finish()
    this.tree = tree
    this.treeIds = Int32Array.from(ids)
    this.treeAt = new Map(ids.map((id, i) => [id, i]))
    this.loose.clear()
  }

  /** The tree's point `i` as a current row, or undefined when it moved or left since. */
  private treeRow(i: number): StationRow | undefined {
    const id = this.treeIds[i]!
    if (this.loose.has(id)) return undefined
    return this.rows.get(id)
  }

  /** The stations nearest answers, with their distances. */
  private pick(q: NearestQuery, rules: StatusRules) {
    const onlyOpen = q.open_now || q.available || q.open_for !== undefined
    const ranked = q.order === 'open_first' && !q.available
    const now = rules.now
    const freshSince = now.getTime() - rules.staleAfterMs
    const charger = q.amenities?.includes('ebike_charging') ?? false
    const isOpen = (r: StationRow, minutes: number) =>
      r.state === 'active' && isOpenFor(r.opening_hours, r.timezone, now, minutes)
    const fresh = (r: StationRow) =>
      r.reported_at !== null && +new Date(r.reported_at) >= freshSince
    // SQL's three-valued `occupancy < capacity [AND in_use < charging_points]`
    const room = (r: StationRow): boolean | null => {
      const seat = r.occupancy === null ? null : r.occupancy < r.capacity
      if (!charger || seat === false) return seat
      const plug =
        r.charging_points_in_use === null ? null : r.charging_points_in_use < r.charging_points
      return plug === false ? false : seat === null || plug === null ? null : true
    }
    const full = (r: StationRow) => fresh(r) && room(r) === false
    const matches = (r: StationRow, rank?: Rank) => {
      if (q.amenities?.length && !q.amenities.every((a) => r.amenities.includes(a))) return false
      for (const item of q.supplies ?? []) {
        const s = r.supplies?.[item]
        if (!s || s[0] < s[1]) return false
      }
      if (onlyOpen && !isOpen(r, q.open_for ?? 0)) return false
      if (q.available && !(room(r) === true && fresh(r))) return false
      if (rank === 'closed') return !isOpen(r, 0)
      if (rank && !isOpen(r, 0)) return false
      if (rank === 'full') return full(r)
      if (rank === 'room') return !full(r)
      return true
    }

    const from: [number, number] = [q.lon, q.lat]
    const within = (d: number) => q.radius_m === undefined || d <= q.radius_m
    const maxKm =
      q.radius_m === undefined ? Infinity : (q.radius_m / SPHERE_M) * GEOKDBUSH_KM * 1.000001
    const nearestOf = (limit: number, rank?: Rank) => {
      const found: { row: StationRow; d: number }[] = []
      for (const i of around(this.tree!, q.lon, q.lat, limit, maxKm, (i) => {
        const r = this.treeRow(i)
        return r !== undefined && matches(r, rank)
      })) {
        const row = this.treeRow(i)!
        found.push({ row, d: metres(from, [row.lon, row.lat]) })
      }
      for (const id of this.loose) {
        const row = this.rows.get(id)
        if (row && matches(row, rank)) found.push({ row, d: metres(from, [row.lon, row.lat]) })
      }
      return found
        .filter((f) => within(f.d))
        .sort((a, b) => a.d - b.d)
        .slice(0, limit)
    }

    let picked: { row: StationRow; d: number }[] = []
    if (!ranked) picked = nearestOf(q.limit)
    else {
      const groups: Rank[] = onlyOpen ? ['room', 'full'] : ['room', 'full', 'closed']
      for (const rank of groups) {
        if (picked.length >= q.limit) break
        picked = picked.concat(nearestOf(q.limit - picked.length, rank))
      }
    }
    return picked
  }

  nearest(q: NearestQuery, rules: StatusRules) {
    return this.pick(q, rules).map(({ row, d }) => toStation({ ...row, distance_m: d }, rules))
  }

  /**
   * The nearest answer's JSON as `res.json({ query, results })` would write it, from each
   * station's fields serialised once (until it changes) with its status derived now.
   */
  nearestJson(q: NearestQuery, rules: StatusRules): string {
    const results = this.pick(q, rules).map(({ row, d }) => {
      const status = deriveStatus(row, rules.now, rules.staleAfterMs)
      return `${this.fixedJson(row)},"status":${JSON.stringify(status)},"distance_m":${JSON.stringify(d)}}`
    })
    return `{"query":${JSON.stringify(q)},"results":[${results.join(',')}]}`
  }

  /** A station's JSON up to its status, without the closing brace. */
  private fixedJson(row: StationRow): string {
    let json = this.serialised.get(row)
    if (json === undefined) {
      const { status: _status, ...fixed } = toStation(row, { now: new Date(0), staleAfterMs: 0 })
      json = JSON.stringify(fixed).slice(0, -1)
      this.serialised.set(row, json)
    }
    return json
  }

  /** A page of the stations inside a bbox, by id, as findInBbox answers it. */
  inBbox(q: BboxQuery, rules: StatusRules) {
    const [w, s, e, n] = q.bbox as Readonly<Bbox>
    const inside = (r: StationRow) => r.lon >= w && r.lon <= e && r.lat >= s && r.lat <= n
    const ids: number[] = []
    for (const i of this.tree!.range(w, s, e, n)) {
      const r = this.treeRow(i)
      if (r) ids.push(r.id)
    }
    for (const id of this.loose) {
      const r = this.rows.get(id)
      if (r && inside(r)) ids.push(id)
    }
    const rows = ids
      .filter((id) => q.cursor === undefined || id > q.cursor)
      .sort((a, b) => a - b)
      .map((id) => this.rows.get(id)!)
      .filter((r) => !q.amenities?.length || q.amenities.every((a) => r.amenities.includes(a)))
      .slice(0, q.limit + 1)
    return pointFeaturePage(rows, q.limit, (r) => toStation(r, rules))
  }
}
