import type { Knex } from 'knex'

/**
 * The data coverage answers are computed from, as one number that grows with every committed
 * change to stations, demand points or station requests: triggers bump a row per table in the
 * changing transaction (see the data_versions migration). A cheap read for every request, and
 * it sees the writes of every server process.
 */
export async function dataVersion(knex: Knex): Promise<number> {
  const row = await knex('data_versions').sum({ v: 'version' }).first()
  return Number(row?.v ?? 0)
}

/**
 * Serialized answers computed at the newest data version seen, least recently used dropped
 * first past maxChars. A newer version empties it; an answer computed at an older one (a slow
 * request overtaken by a write) is not kept.
 */
export class ResultCache {
  private version = -1
  private entries = new Map<string, string>()
  private chars = 0

  constructor(private readonly maxChars: number) {}

  get(version: number, key: string): string | undefined {
    if (version !== this.version) return undefined
    const value = this.entries.get(key)
    if (value !== undefined) {
      this.entries.delete(key)
      this.entries.set(key, value)
    }
    return value
  }

  set(version: number, key: string, value: string): void {
    if (version < this.version || value.length > this.maxChars) return
    if (version > this.version) {
      this.entries.clear()
      this.chars = 0
      this.version = version
    }
    this.chars += value.length - (this.entries.get(key)?.length ?? 0)
    this.entries.delete(key)
    this.entries.set(key, value)
    for (const [oldest, v] of this.entries) {
      if (this.chars <= this.maxChars) break
      this.entries.delete(oldest)
      this.chars -= v.length
    }
  }
}
