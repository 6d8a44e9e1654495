/**
 * Whole numbers for parts that sum to `target` (by default their sum, rounded): each part is
 * rounded down or up, the ones with the largest remainders up (largest-remainder rounding, ties
 * to the earlier part). Demand is people: the parts a planner sees add up to the total shown.
 * Parts are amounts of demand, never below zero: a difference of sums a rounding error below
 * counts as zero.
 */
export function wholeParts(
  amounts: readonly number[],
  target = Math.round(amounts.reduce((a, b) => a + b, 0)),
): number[] {
  const parts = amounts.map((x) => Math.max(0, x))
  const whole = parts.map(Math.floor)
  const left = target - whole.reduce((a, b) => a + b, 0)
  const byRemainder = parts
    .map((_, i) => i)
    .sort((a, b) => parts[b]! - whole[b]! - (parts[a]! - whole[a]!) || a - b)
  for (const i of byRemainder.slice(0, left)) whole[i]!++
  return whole
}

/**
 * Demand split into covered and uncovered, in whole people, overall and per part (cell, city):
 * the total first, then covered and uncovered, then each of them over the parts, so every sum
 * shown is exact and no figure is more than one away from its exact value (a part's total two).
 */
export function wholeCoverage(covered: readonly number[], uncovered: readonly number[]) {
  const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0)
  const [coveredTotal, uncoveredTotal] = wholeParts([sum(covered), sum(uncovered)])
  return {
    covered: coveredTotal!,
    uncovered: uncoveredTotal!,
    coveredParts: wholeParts(covered, coveredTotal),
    uncoveredParts: wholeParts(uncovered, uncoveredTotal),
  }
}
