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

// Opening hours change state only on whole minutes, so one answer per schedule and minute
// serves every station and request in that minute (the hot path of every status).
let memoMinute = NaN
const memo = new Map<string, boolean>()

export function isOpenAt(spec: string, timeZone: string, at: Date): boolean {
  const minute = Math.floor(at.getTime() / 60_000)
  if (minute !== memoMinute) {
    memoMinute = minute
    memo.clear()
  }
  const key = `${timeZone}\n${spec}`
  let open = memo.get(key)
  if (open === undefined) {
    try {
      open = parse(spec).getState(wallClock(new Date(minute * 60_000), timeZone))
    } catch {
      open = false
    }
    if (memo.size < 100_000) memo.set(key, open)
  }
  return open
}
