import { Router } from 'express'
import type { Knex } from 'knex'
import { parse } from '../errors.ts'
import { idParam } from '../http/params.ts'
import { rejectNul } from '../http/guards.ts'
import { requireScope } from '../auth/middleware.ts'
import {
  adminStationsQuery,
  bboxQuery,
  createStationBody,
  nearestQuery,
  updateStationBody,
} from './schema.ts'
import {
  adminStationPage,
  findById,
  findInBbox,
  findNearest,
  outline,
  placeLabels,
} from './queries.ts'
import { createStationAs, updateStationAs } from './service.ts'
import type { StatusRules } from './status.ts'
import { stationEtag } from './etag.ts'
import type { StationIndex } from './stationIndex.ts'
import { answered, type HotRoute } from '../http/hot.ts'

/**
 * The couriers' hot reads: public, so they are mounted before the API's sign-in and body
 * handling, and answered from the station index once it is loaded.
 */
export function stationReadRoutes(knex: Knex, rules: () => StatusRules, index?: StationIndex) {
  const router = Router()

  router.get('/stations/nearest', rejectNul, async (req, res) => {
    const q = parse(nearestQuery, req.query, 'query')
    // No ETag: an answer for one place and moment is rarely asked again, and hashing every
    // answer would cost more than it saves.
    const body = index?.ready
      ? await index.nearestAnswer(q, rules())
      : Buffer.from(JSON.stringify({ query: q, results: await findNearest(knex, q, rules()) }))
    res.setHeader('Content-Type', 'application/json; charset=utf-8')
    res.setHeader('Content-Length', body.length)
    res.end(body)
  })

  router.get('/stations', rejectNul, async (req, res) => {
    const q = parse(bboxQuery, req.query, 'query')
    // as res.json types it: a Buffer sent is not given a charset
    res.type('application/geo+json; charset=utf-8')
    if (index?.ready) res.send(await index.inBboxAnswer(q, rules()))
    else res.json(await findInBbox(knex, q, rules()))
  })

  return router
}

/**
 * The same two reads ahead of Express (http/hot.ts) once the index is loaded: the answers and
 * headers these routes give, without Express's routing on the way. `base` is the API's mount
 * path. An answer that needs stations' fields the index no longer caches waits for them here.
 */
export function stationHotRoutes(
  base: string,
  index: StationIndex,
  rules: () => StatusRules,
): HotRoute[] {
  const exactly = (path: string) => (p: string) => (p === path ? [] : undefined)
  return [
    {
      label: `${base}/stations/nearest`,
      match: exactly(`${base}/stations/nearest`),
      answer(query) {
        const q = index.ready ? nearestQuery.safeParse(query) : undefined
        if (!q?.success) return undefined
        return answered(index.nearestAnswer(q.data, rules()), (body) => ({
          type: 'application/json; charset=utf-8',
          body,
        }))
      },
    },
    {
      label: `${base}/stations`,
      match: exactly(`${base}/stations`),
      answer(query) {
        const q = index.ready ? bboxQuery.safeParse(query) : undefined
        if (!q?.success) return undefined
        return answered(index.inBboxAnswer(q.data, rules()), (body) => ({
          type: 'application/geo+json; charset=utf-8',
          body,
          etag: 'weak',
        }))
      },
    },
  ]
}

export function stationRoutes(knex: Knex, rules: () => StatusRules, index?: StationIndex) {
  const router = Router()
  const admin = requireScope('admin')

  router.get('/admin/stations', admin, async (req, res) => {
    const q = parse(adminStationsQuery, req.query, 'query')
    res.json(await adminStationPage(knex, q, req.user!.region))
  })

  router.get('/stations/outline', async (_req, res) => {
    res.setHeader('Cache-Control', 'public, max-age=300')
    res.json(await outline(knex))
  })

  router.get('/stations/labels', async (_req, res) => {
    res.setHeader('Cache-Control', 'public, max-age=300')
    res.json(await placeLabels(knex))
  })

  router.get('/stations/:id', async (req, res) => {
    const { id } = parse(idParam, req.params, 'path')
    const station = await findById(knex, id, rules())
    res.set('ETag', stationEtag(station)).json(station)
  })

  router.post('/stations', admin, async (req, res) => {
    const body = parse(createStationBody, req.body, 'body')
    const id = await createStationAs(knex, req.user!, body)
    await index?.refresh([id])
    const station = await findById(knex, id, rules())
    res
      .status(201)
      .location(`/api/v1/stations/${id}`)
      .set('ETag', stationEtag(station))
      .json(station)
  })

  router.patch('/stations/:id', admin, async (req, res) => {
    const { id } = parse(idParam, req.params, 'path')
    const body = parse(updateStationBody, req.body, 'body')
    await updateStationAs(knex, req.user!, id, body)
    await index?.refresh([id])
    const station = await findById(knex, id, rules())
    res.set('ETag', stationEtag(station)).json(station)
  })

  return router
}
