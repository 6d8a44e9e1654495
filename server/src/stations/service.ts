import type { Knex } from 'knex'
import { forbidden, notFound } from '../errors.ts'
import type { AuthUser } from '../auth/queries.ts'
import { contains, isEverywhere, type Region } from '../auth/region.ts'
import { changes, recordAudit } from '../audit/queries.ts'
import { closeOpenAlerts } from '../reports/queries.ts'
import type { CreateStation, UpdateStation } from './schema.ts'
import { createStation, editableFields, nearestRegions, updateStation } from './queries.ts'

type Place = Pick<CreateStation, 'province' | 'city' | 'district' | 'location' | 'code'>

/** A station without a province, city or district takes them from the admin's region. */
export function placeIn<T extends Partial<Place>>(station: T, region: Region): T {
  return {
    ...station,
    province: station.province || region.province || station.province,
    city: station.city || region.city || station.city,
    district: station.district || region.district || station.district,
  }
}

const describe = (r: Region) =>
  [r.province, r.city, r.district].filter(Boolean).join(' ') || 'everywhere'

/**
 * Why these stations may not be placed by an admin of the region (null: they may), one
 * answer per station: named outside it, or a point whose nearest station lies outside it.
 * The nearest station stands in for the boundaries we do not have (as in the coverage
 * summary); a region with no station yet is judged by the names alone.
 */
export async function placementErrors(
  knex: Knex,
  region: Region,
  stations: Place[],
): Promise<(string | null)[]> {
  if (isEverywhere(region)) return stations.map(() => null)
  const nearest = await nearestRegions(knex, stations)
  return stations.map((s, i) => {
    if (!contains(region, s)) return `${describe(s)} is outside your region (${describe(region)})`
    const near = nearest[i]
    if (near && !contains(region, near))
      return `the point lies outside your region (${describe(region)}): the nearest station is in ${describe(near)}`
    return null
  })
}

async function checkPlacement(knex: Knex, region: Region, station: Place) {
  const [error] = await placementErrors(knex, region, [station])
  if (error) throw forbidden(`This station: ${error}`)
}

export async function createStationAs(knex: Knex, user: AuthUser, body: CreateStation) {
  const station = placeIn(body, user.region)
  return knex.transaction(async (trx) => {
    await checkPlacement(trx, user.region, station)
    const id = await createStation(trx, station)
    await recordAudit(trx, [
      { actor_id: user.id, action: 'station.create', station_id: id, before: null, after: station },
    ])
    return id
  })
}

export async function updateStationAs(knex: Knex, user: AuthUser, id: number, body: UpdateStation) {
  return knex.transaction(async (trx) => {
    const before = await editableFields(trx, id)
    if (!before) throw notFound(`Station ${id} does not exist`)
    if (!contains(user.region, before))
      throw forbidden(`Station ${id} is outside your region (${describe(user.region)})`)
    const after = { ...before, ...body }
    await checkPlacement(trx, user.region, after)
    const diff = changes(before, after)
    if (!Object.keys(diff.after).length) return
    await updateStation(trx, id, body)
    if (after.state === 'retired' && before.state !== 'retired') await closeOpenAlerts(trx, id)
    await recordAudit(trx, [
      { actor_id: user.id, action: 'station.update', station_id: id, ...diff },
    ])
  })
}
