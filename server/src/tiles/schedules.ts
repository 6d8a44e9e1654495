import type { Knex } from 'knex'
import { isOpenAt } from '../stations/openingHours.ts'
import { statusesChangeAt } from '../stations/status.ts'
import { pgArray } from '../db/arrays.ts'

const keyOf = (hours: string, timeZone: string) => `${hours}\n${timeZone}`

/**
 * The opening schedules in use (few: the opening_schedules table) and which are open, kept from
 * one read until one of them opens or closes, instead of read per tile. A schedule added since
 * (a new station, changed hours) is unknown here: whoever sees one in a row calls `knows` and,
 * on false, `reread`, as the table gains it in the same transaction as the station.
 */
export class OpenSchedules {
  private known = new Set<string>()
  /** Array literals, made once per read rather than by the driver per tile. */
  private open = { hours: '{}', zones: '{}' }
  /** The epoch-ms span in which `open` holds: from the read's clock until the next change. */
  private from = Infinity
  private until = -Infinity
  private reading?: Promise<unknown>

  /** The schedules open at `now`: their hours and time zones as text[] literals for unnest(). */
  async at(knex: Knex, now: Date): Promise<{ hours: string; zones: string }> {
    if (this.holdsAt(now)) return this.open
    // the tiles asked for meanwhile share one read
    this.reading ??= this.read(knex, now).finally(() => (this.reading = undefined))
    await this.reading
    // a read for another clock (tests move it) does not answer this one
    return this.holdsAt(now) ? this.open : this.reread(knex, now)
  }

  /** Whether every `hours\ntimezone` given was in the last read. */
  knows(schedules: Iterable<string>) {
    for (const s of schedules) if (!this.known.has(s)) return false
    return true
  }

  /** A read of its own, after a schedule it did not know was seen: one in flight may predate it. */
  reread(knex: Knex, now: Date) {
    return this.read(knex, now)
  }

  private holdsAt(now: Date) {
    const t = now.getTime()
    return this.from <= t && t < this.until
  }

  private async read(knex: Knex, now: Date) {
    const rows: { opening_hours: string; timezone: string }[] =
      await knex('opening_schedules').select()
    const open = rows.filter((r) => isOpenAt(r.opening_hours, r.timezone, now))
    this.known = new Set(rows.map((r) => keyOf(r.opening_hours, r.timezone)))
    this.open = {
      hours: pgArray(open.map((r) => r.opening_hours)),
      zones: pgArray(open.map((r) => r.timezone)),
    }
    this.from = now.getTime()
    this.until = statusesChangeAt(
      now,
      0,
      null,
      rows.map((r) => [r.opening_hours, r.timezone] as const),
    )
    return this.open
  }
}
