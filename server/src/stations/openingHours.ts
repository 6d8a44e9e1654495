import OpeningHours from 'opening_hours'

// Chinese public holidays (PH) need a country; the coordinates only pick the holiday calendar.
const NOMINATIM = { lat: 28.2, lon: 112.9, address: { country_code: 'cn', state: '湖南省' } }

const parsed = new Map<string, OpeningHours>()

function parse(spec: string): OpeningHours {
  let oh = parsed.get(spec)
  if (!oh) {
    oh = new OpeningHours(spec, NOMINATIM as never)
    if (parsed.size > 10_000) parsed.clear()
    parsed.set(spec, oh)
  }
  return oh
}

/** Returns an error message when `spec` is not valid OSM opening_hours syntax. */
export function openingHoursError(spec: string): string | undefined {
  try {
    parse(spec)
    return undefined
  } catch (e) {
    return String(e).split('\n')[0]?.slice(0, 200)
  }
}

export function isValidTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz })
    return true
  } catch {
    return false
  }
}

const formatters = new Map<string, Intl.DateTimeFormat>()

/**
 * opening_hours reads a Date's local fields, so we hand it a Date whose local
 * fields show the wall-clock time in the station's zone.
 */
function wallClock(at: Date, timeZone: string): Date {
  let f = formatters.get(timeZone)
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    })
    formatters.set(timeZone, f)
  }
  const p = Object.fromEntries(f.formatToParts(at).map((x) => [x.type, Number(x.value)]))
  return new Date(p.year!, p.month! - 1, p.day!, p.hour!, p.minute!, p.second!)
}

/** The instant at which the clock in `timeZone` shows the local fields of `wall`. */
function fromWallClock(wall: Date, timeZone: string): Date {
  const fields = Date.UTC(
    wall.getFullYear(),
    wall.getMonth(),
    wall.getDate(),
    wall.getHours(),
    wall.getMinutes(),
    wall.getSeconds(),
  )
  const offset = (at: number) => {
    const shown = wallClock(new Date(at), timeZone)
    const asUtc = Date.UTC(
      shown.getFullYear(),
      shown.getMonth(),
      shown.getDate(),
      shown.getHours(),
      shown.getMinutes(),
      shown.getSeconds(),
    )
    return asUtc - Math.floor(at / 1000) * 1000
  }
  // the offset at the guess, then at the answer: right across a daylight-saving change too
  const guess = fields - offset(fields)
  return new Date(fields - offset(guess))
}

/** How far ahead the next opening or closing is looked for: a week and a day of holidays. */
const HORIZON_MS = 8 * 86_400_000
/** Changes looked at before giving up: a weekly schedule changes a few times a day at most. */
const MAX_CHANGES = 64

/** When the state (open or not) at `wall` next changes, in wall-clock time, or null. */
function nextChange(oh: OpeningHours, wall: Date): Date | null {
  const open = oh.getState(wall)
  const until = new Date(wall.getTime() + HORIZON_MS)
  let from = wall
  for (let i = 0; i < MAX_CHANGES; i++) {
    const change = oh.getNextChange(from, until)
    if (!change) return null
    // a change of comment or of unknown state alone does not open or close the station
    if (oh.getState(change) !== open) return change
    from = change
  }
  return null
}

interface Schedule {
  open: boolean
  /** Open: the next closing; closed: the next opening; undefined until first asked for. */
  next?: Date | null
}

// Opening hours change state only on whole minutes, so one answer per schedule and minute
// serves every station and request in that minute (the hot path of every status).
let memoMinute = NaN
const memo = new Map<string, Schedule>()

function scheduleAt(spec: string, timeZone: string, at: Date): Schedule {
  const minute = Math.floor(at.getTime() / 60_000)
  if (minute !== memoMinute) {
    memoMinute = minute
    memo.clear()
  }
  const key = `${timeZone}\n${spec}`
  let schedule = memo.get(key)
  if (schedule === undefined) {
    try {
      schedule = { open: parse(spec).getState(wallClock(new Date(minute * 60_000), timeZone)) }
    } catch {
      schedule = { open: false, next: null }
    }
    if (memo.size < 100_000) memo.set(key, schedule)
  }
  return schedule
}

export function isOpenAt(spec: string, timeZone: string, at: Date): boolean {
  return scheduleAt(spec, timeZone, at).open
}

/**
 * When a station with these hours next closes (when open at `at`) or opens (when closed), or
 * null when that is more than a week away: open around the clock, or closed for good.
 */
export function nextChangeAt(spec: string, timeZone: string, at: Date): Date | null {
  const schedule = scheduleAt(spec, timeZone, at)
  if (schedule.next === undefined) {
    const wall = wallClock(new Date(Math.floor(at.getTime() / 60_000) * 60_000), timeZone)
    const change = nextChange(parse(spec), wall)
    schedule.next = change && fromWallClock(change, timeZone)
  }
  return schedule.next
}

/** Open at `at` and still open `minutes` later (no closing in between). */
export function isOpenFor(spec: string, timeZone: string, at: Date, minutes: number): boolean {
  if (!isOpenAt(spec, timeZone, at)) return false
  const closes = nextChangeAt(spec, timeZone, at)
  return closes === null || closes.getTime() - at.getTime() >= minutes * 60_000
}
