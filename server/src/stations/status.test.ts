import { describe, expect, it } from 'vitest'
import seedrandom from 'seedrandom'
import { deriveStatus, statusChangesAt, type StatusInput } from './status.ts'

const STALE_MS = 120 * 60_000
const HOURS = [
  '24/7',
  'Mo-Su 08:00-20:00',
  'Mo-Fr 07:00-19:00; Sa,Su 09:00-17:00',
  'Mo-Sa 06:30-21:30; Su off',
  'Mo-Su 05:00-12:00,14:00-21:00',
  'off',
]

/** What the clock alone can change in a derived status. */
const timed = (row: StatusInput, at: number) => {
  const s = deriveStatus(row, new Date(at), STALE_MS)
  return [s.open_now, s.stale, s.availability, s.closes_at, s.opens_at]
}

describe('statusChangesAt', () => {
  it('is the first instant the clock changes a derived status: nothing changes before it, something at it', () => {
    const random = seedrandom('status-changes')
    const start = Date.parse('2026-11-23T00:00:00Z')
    let bounded = 0
    for (let i = 0; i < 400; i++) {
      const now = start + Math.floor(random() * 10 * 86_400_000)
      const reportedAgo = Math.floor((random() * 2 - 0.3) * STALE_MS * 1.5)
      const row: StatusInput = {
        state: random() < 0.9 ? 'active' : 'temporarily_closed',
        capacity: 4,
        opening_hours: HOURS[Math.floor(random() * HOURS.length)]!,
        timezone: random() < 0.8 ? 'Asia/Shanghai' : 'Asia/Urumqi',
        occupancy: Math.floor(random() * 5),
        charging_points_in_use: 0,
        reported_at: random() < 0.1 ? null : new Date(now - reportedAgo),
        version: 1,
        supplies: null,
      }
      const at = statusChangesAt(row, new Date(now), STALE_MS)
      expect(at).toBeGreaterThan(now)
      const before = timed(row, now)
      // a day is the most it promises, and then nothing need change
      if (at - now >= 86_400_000) continue
      bounded++
      for (const t of [now + (at - now) / 2, at - 1])
        expect(timed(row, Math.floor(t)), `row ${i} at ${t - now} ms`).toEqual(before)
      expect(timed(row, at), `row ${i}`).not.toEqual(before)
    }
    expect(bounded).toBeGreaterThan(200)
  })
})
