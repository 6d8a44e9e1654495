/**
 * The coverage analyses' bounds: the API enforces them, the planner view checks them before
 * asking so a planner never waits for a 400.
 */
export const COVERAGE_LIMITS = {
  radius_m: [10, 10_000],
  minutes: [1, 30],
  cell_m: [100, 20_000],
  k: [1, 50],
  min_stations: [1, 5],
} as const satisfies Record<string, readonly [min: number, max: number]>

export const COVERAGE_DEFAULTS = { radius_m: 1000, cell_m: 500, k: 10, min_stations: 1 } as const

/** Hypothetical stations in one what-if question. */
export const MAX_WHAT_IF_SITES = 100

export const TRAVEL_MODES = ['walk', 'ebike'] as const
export type TravelMode = (typeof TRAVEL_MODES)[number]

/** The demand data set analyses use unless asked for another (the seed's hotspots). */
export const DEFAULT_DATASET = 'default'

/**
 * What demand counts: outdoor workers who need a station there. A demand point's weight is how
 * many of them it stands for; a courier's station request is one. Shown as whole people.
 */
export const DEMAND_UNIT = 'workers'
