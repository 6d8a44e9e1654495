import { describe, expect, it } from 'vitest'
import seedrandom from 'seedrandom'
import { wholeCoverage, wholeParts } from './whole.ts'

const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0)

describe('whole numbers of demand that add up', () => {
  it('rounds the parts with the largest remainders up, ties to the earlier part', () => {
    expect(wholeParts([0.3, 0.3, 0.3])).toEqual([1, 0, 0])
    expect(wholeParts([2.5, 2.5])).toEqual([3, 2])
    expect(wholeParts([1.2, 3.7, 5.1])).toEqual([1, 4, 5])
    expect(wholeParts([4, 7, 0])).toEqual([4, 7, 0])
    expect(wholeParts([])).toEqual([])
    // a difference of sums a rounding error below zero is no demand
    expect(wholeParts([3, -1e-12, 2])).toEqual([3, 0, 2])
  })

  it('reaches a target one away from the sum', () => {
    expect(wholeParts([0.5, 0.5, 0.5], 2)).toEqual([1, 1, 0])
    expect(wholeParts([0.5, 0.5, 0.5], 1)).toEqual([1, 0, 0])
  })

  it('splits covered and uncovered so that every sum shown is exact', () => {
    const rnd = seedrandom('whole')
    for (let run = 0; run < 200; run++) {
      const n = 1 + Math.floor(rnd() * 40)
      const covered = Array.from({ length: n }, () => Math.round(rnd() * 1000) / 100)
      const uncovered = Array.from({ length: n }, () => Math.round(rnd() * 1000) / 100)
      const w = wholeCoverage(covered, uncovered)
      const exact = sum(covered) + sum(uncovered)
      expect(w.covered + w.uncovered).toBe(Math.round(exact))
      expect(sum(w.coveredParts)).toBe(w.covered)
      expect(sum(w.uncoveredParts)).toBe(w.uncovered)
      expect(Math.abs(w.covered - sum(covered))).toBeLessThan(1)
      for (const [i, part] of w.coveredParts.entries()) {
        expect(Number.isInteger(part)).toBe(true)
        expect(Math.abs(part - covered[i]!)).toBeLessThan(1)
        expect(Math.abs(w.uncoveredParts[i]! - uncovered[i]!)).toBeLessThan(1)
      }
    }
  })
})
