import { describe, expect, it } from 'vitest'
import { isOpenAt, isOpenFor, nextChangeAt, openingHoursError } from './openingHours.ts'
import { deriveStatus } from './status.ts'

const at = (iso: string) => new Date(iso)

describe('open_now', () => {
  it('switches exactly at the edges of opening hours, in the station time zone', () => {
    const h = 'Mo-Su 08:00-20:00'
    // Asia/Shanghai is UTC+8: 08:00 local is 00:00Z.
    expect(isOpenAt(h, 'Asia/Shanghai', at('2026-11-23T23:59:59Z'))).toBe(false)
    expect(isOpenAt(h, 'Asia/Shanghai', at('2026-11-24T00:00:00Z'))).toBe(true)
    expect(isOpenAt(h, 'Asia/Shanghai', at('2026-11-24T11:59:59Z'))).toBe(true)
    expect(isOpenAt(h, 'Asia/Shanghai', at('2026-11-24T12:00:00Z'))).toBe(false)
  })

  it('reads the same instant differently across time zones', () => {
    const h = 'Mo-Fr 09:00-17:00'
    const instant = at('2026-11-24T02:00:00Z') // Tue 10:00 Shanghai, Mon 21:00 New York
    expect(isOpenAt(h, 'Asia/Shanghai', instant)).toBe(true)
    expect(isOpenAt(h, 'America/New_York', instant)).toBe(false)
    expect(isOpenAt(h, 'Asia/Tokyo', instant)).toBe(true) // Tue 11:00
    expect(isOpenAt(h, 'Asia/Urumqi', instant)).toBe(false) // Tue 08:00, before opening
  })

  it('handles days off, overnight hours and 24/7', () => {
    const h = 'Mo-Sa 06:30-21:30; Su off'
    expect(isOpenAt(h, 'Asia/Shanghai', at('2026-11-22T02:00:00Z'))).toBe(false) // Sunday 10:00
    expect(isOpenAt(h, 'Asia/Shanghai', at('2026-11-23T02:00:00Z'))).toBe(true) // Monday 10:00
    const night = 'Mo-Su 22:00-06:00'
    expect(isOpenAt(night, 'Asia/Shanghai', at('2026-11-23T17:00:00Z'))).toBe(true) // 01:00
    expect(isOpenAt(night, 'Asia/Shanghai', at('2026-11-23T04:00:00Z'))).toBe(false) // 12:00
    expect(isOpenAt('24/7', 'Asia/Shanghai', at('2026-11-23T04:00:00Z'))).toBe(true)
  })

  it('knows Chinese public holidays', () => {
    // 1 October (National Day) falls on a Thursday in 2026.
    expect(isOpenAt('Mo-Fr 08:00-18:00; PH off', 'Asia/Shanghai', at('2026-10-01T02:00:00Z'))).toBe(
      false,
    )
    expect(isOpenAt('Mo-Fr 08:00-18:00; PH off', 'Asia/Shanghai', at('2026-10-15T02:00:00Z'))).toBe(
      true,
    )
  })

  it('rejects invalid syntax', () => {
    expect(openingHoursError('whenever')).toBeTruthy()
    expect(openingHoursError('Mo-Su 08:00-20:00')).toBeUndefined()
  })
})

describe('the next closing or opening', () => {
  const next = (h: string, tz: string, iso: string) => nextChangeAt(h, tz, at(iso))?.toISOString()

  it('is the end of the hours when open, the start when closed, in the station time zone', () => {
    const h = 'Mo-Su 07:00-22:00'
    // 21:48 in China closes at 22:00 (14:00Z); 22:00 opens at 07:00 the next morning
    expect(next(h, 'Asia/Shanghai', '2026-12-04T13:48:00Z')).toBe('2026-12-04T14:00:00.000Z')
    expect(next(h, 'Asia/Shanghai', '2026-12-04T14:00:00Z')).toBe('2026-12-04T23:00:00.000Z')
    expect(next(h, 'Asia/Tokyo', '2026-12-04T12:48:00Z')).toBe('2026-12-04T13:00:00.000Z')
    // seconds past the minute: the same answer
    expect(next(h, 'Asia/Shanghai', '2026-12-04T13:48:59.999Z')).toBe('2026-12-04T14:00:00.000Z')
  })

  it('skips the gaps that do not close: split hours, overnight, days off', () => {
    const split = 'Mo-Su 05:00-12:00,14:00-21:00'
    expect(next(split, 'Asia/Shanghai', '2026-12-04T01:00:00Z')).toBe('2026-12-04T04:00:00.000Z')
    expect(next(split, 'Asia/Shanghai', '2026-12-04T05:00:00Z')).toBe('2026-12-04T06:00:00.000Z')
    // 23:00 Friday, open until 06:00 Saturday
    expect(next('Mo-Su 22:00-06:00', 'Asia/Shanghai', '2026-12-04T15:00:00Z')).toBe(
      '2026-12-04T22:00:00.000Z',
    )
    // Saturday 22:00, closed on Sunday: opens Monday 06:30
    expect(next('Mo-Sa 06:30-21:30; Su off', 'Asia/Shanghai', '2026-12-05T14:00:00Z')).toBe(
      '2026-12-06T22:30:00.000Z',
    )
  })

  it('is null around the clock, and never a moment that is not one', () => {
    expect(next('24/7', 'Asia/Shanghai', '2026-12-04T13:48:00Z')).toBeUndefined()
    expect(next('Mo-Su 00:00-24:00', 'Asia/Shanghai', '2026-12-04T13:48:00Z')).toBeUndefined()
    // New York springs forward on 8 March 2026: Saturday 21:00 EST, opens Sunday 08:00 EDT
    expect(next('Mo-Su 08:00-20:00', 'America/New_York', '2026-03-08T02:00:00Z')).toBe(
      '2026-03-08T12:00:00.000Z',
    )
    expect(next('Mo-Su 08:00-20:00', 'America/New_York', '2026-03-07T20:00:00Z')).toBe(
      '2026-03-08T01:00:00.000Z',
    )
  })

  it('open for N minutes means no closing before then', () => {
    const h = 'Mo-Su 07:00-22:00'
    const t = at('2026-12-04T13:48:00Z')
    expect(isOpenFor(h, 'Asia/Shanghai', t, 12)).toBe(true)
    expect(isOpenFor(h, 'Asia/Shanghai', t, 13)).toBe(false)
    expect(isOpenFor('24/7', 'Asia/Shanghai', t, 720)).toBe(true)
    expect(isOpenFor('Mo-Su 08:00-20:00', 'Asia/Shanghai', t, 0)).toBe(false)
  })
})

describe('availability', () => {
  const base = {
    state: 'active',
    capacity: 10,
    opening_hours: '24/7',
    timezone: 'Asia/Shanghai',
    occupancy: 3,
    charging_points_in_use: 1,
    reported_at: '2026-11-24T00:00:00Z',
    version: 4,
    supplies: { drinking_water: [15, 20], first_aid: [20, 20] } as Record<string, [number, number]>,
  }
  const now = at('2026-11-24T01:00:00Z')
  const stale = 2 * 3600_000

  it('open, full, closed, temporarily_closed and unknown', () => {
    expect(deriveStatus(base, now, stale).availability).toBe('open')
    expect(deriveStatus({ ...base, occupancy: 10 }, now, stale).availability).toBe('full')
    expect(
      deriveStatus({ ...base, opening_hours: 'Mo-Su 20:00-22:00' }, now, stale).availability,
    ).toBe('closed')
    expect(deriveStatus({ ...base, state: 'temporarily_closed' }, now, stale).availability).toBe(
      'temporarily_closed',
    )
    expect(deriveStatus({ ...base, reported_at: null }, now, stale).availability).toBe('unknown')
    expect(deriveStatus(base, at('2026-11-24T02:00:01Z'), stale)).toMatchObject({
      stale: true,
      availability: 'unknown',
    })
    expect(deriveStatus(base, at('2026-11-24T02:00:00Z'), stale)).toMatchObject({
      stale: false,
      availability: 'open',
    })
  })

  it('says when it closes or opens, and neither for a temporarily closed station', () => {
    const hours = { ...base, opening_hours: 'Mo-Su 07:00-22:00' }
    // 09:00 in China
    expect(deriveStatus(hours, now, stale)).toMatchObject({
      closes_at: '2026-11-24T14:00:00.000Z',
      opens_at: null,
    })
    expect(deriveStatus(hours, at('2026-11-24T15:00:00Z'), stale)).toMatchObject({
      closes_at: null,
      opens_at: '2026-11-24T23:00:00.000Z',
    })
    expect(deriveStatus({ ...hours, state: 'temporarily_closed' }, now, stale)).toMatchObject({
      closes_at: null,
      opens_at: null,
    })
  })

  it('derives free seats and low supplies', () => {
    const s = deriveStatus({ ...base, occupancy: 12 }, now, stale)
    expect(s.available_spaces).toBe(0)
    expect(s.supplies).toEqual({
      drinking_water: { level: 15, low: true },
      first_aid: { level: 20, low: false },
    })
  })
})
