import seedrandom from 'seedrandom'

/** Latencies in milliseconds, kept exactly (autocannon's histogram rounds to whole ms). */
export class Latencies {
  private values = new Float64Array(1 << 16)
  count = 0

  add(ms: number): void {
    if (this.count === this.values.length) {
      const bigger = new Float64Array(this.values.length * 2)
      bigger.set(this.values)
      this.values = bigger
    }
    this.values[this.count++] = ms
  }

  summary(): { p50Ms: number; p99Ms: number; meanMs: number } {
    const sorted = this.values.slice(0, this.count).sort()
    let sum = 0
    for (const v of sorted) sum += v
    return {
      p50Ms: percentile(sorted, 0.5),
      p99Ms: percentile(sorted, 0.99),
      meanMs: sorted.length ? sum / sorted.length : NaN,
    }
  }
}

/** Nearest-rank percentile of ascending values. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return NaN
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]!
}

export function median(values: readonly number[]): number {
  return percentile(
    [...values].sort((a, b) => a - b),
    0.5,
  )
}

export type Bbox = [west: number, south: number, east: number, north: number]

/** Uniform random points over a box, the same list every run (seeded). */
export function randomPoints(box: Bbox, count: number, seed = 'yizhan-bench'): [number, number][] {
  const rnd = seedrandom(seed)
  const [w, s, e, n] = box
  return Array.from({ length: count }, () => [
    round6(w + rnd() * (e - w)),
    round6(s + rnd() * (n - s)),
  ])
}

const round6 = (x: number) => Math.round(x * 1e6) / 1e6

/** A box `km` wide and high around a centre, in degrees. */
export function boxAround(lon: number, lat: number, km: number): Bbox {
  const dLat = km / 2 / 111.32
  const dLon = km / 2 / (111.32 * Math.cos((lat * Math.PI) / 180))
  return [lon - dLon, lat - dLat, lon + dLon, lat + dLat].map(round6) as Bbox
}

/** x/y of the web-mercator tile holding a point. */
export function tileOf(lon: number, lat: number, z: number): { x: number; y: number } {
  const n = 2 ** z
  const r = (lat * Math.PI) / 180
  return {
    x: Math.floor(((lon + 180) / 360) * n),
    y: Math.floor(((1 - Math.log(Math.tan(r) + 1 / Math.cos(r)) / Math.PI) / 2) * n),
  }
}

export const ratio = (a: number | undefined, b: number | undefined): number | null =>
  a === undefined || b === undefined || !Number.isFinite(a) || !Number.isFinite(b) || b === 0
    ? null
    : a / b
