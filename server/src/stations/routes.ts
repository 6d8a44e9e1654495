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
  type BboxQuery,
  type NearestQuery,
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
import { answered, sendAnswer, type HotRoute } from '../http/hot.ts'

/**
 * The couriers' two hot reads: from the station index once it is loaded, from the SQL until
 * then. Express's routes and the hot routes answer through these.
 */
function readAnswers(knex: Knex, rules: () => StatusRules, index?: StationIndex) {
  const json = (value: unknown) => Buffer.from(JSON.stringify(value))
  return {
    nearest(q: NearestQuery) {
      const body = index?.ready
        ? index.nearestAnswer(q, rules())
        : findNearest(knex, q, rules()).then((results) => json({ query: q, results }))
      // No ETag: an answer for one place and moment is rarely asked again, and hashing every
      // answer would cost more than it saves.
      return answered(body, (body) => ({ type: 'application/json; charset=utf-8', body }))
    },
    bbox(q: BboxQuery) {
      const body = index?.ready
        ? index.inBboxAnswer(q, rules())
        : findInBbox(knex, q, rules()).then(json)
      return answered(body, (body) => ({
        type: 'application/geo+json; charset=utf-8',
        body,
        etag: 'weak',
      }))
    },
  }
}

/**
 * The hot reads as Express routes: public, so they are mounted before the API's sign-in and
 * body handling. They answer what the hot routes below leave: invalid input (zod's 400), other
 * spellings of the path, and everything while the index loads.
 */
export function stationReadRoutes(knex: Knex, rules: () => StatusRules, index?: StationIndex) {
  const router = Router()
  const answers = readAnswers(knex, rules, index)
  router.get('/stations/nearest', rejectNul, async (req, res) => {
    sendAnswer(req, res, await answers.nearest(parse(nearestQuery, req.query, 'query')))
  })
  router.get('/stations', rejectNul, async (req, res) => {
    sendAnswer(req, res, await answers.bbox(parse(bboxQuery, req.query, 'query')))
  })
  return router
}

/**
 * The same two reads ahead of Express (http/hot.ts) once the index is loaded, without
 * Express's routing on the way. `base` is the API's mount path.
 */
export function stationHotRoutes(
  base: string,
  index: StationIndex,
  knex: Knex,
  rules: () => StatusRules,
): HotRoute[] {
  const answers = readAnswers(knex, rules, index)
  const exactly = (path: string) => (p: string) => (p === path ? [] : undefined)
  return [
    {
      label: `${base}/stations/nearest`,
      match: exactly(`${base}/stations/nearest`),
      answer(query) {
        const q = index.ready ? nearestQuery.safeParse(query) : undefined
        return q?.success ? answers.nearest(q.data) : undefined
      },
    },
    {
      label: `${base}/stations`,
      match: exactly(`${base}/stations`),
      answer(query) {
        const q = index.ready ? bboxQuery.safeParse(query) : undefined
        return q?.success ? answers.bbox(q.data) : undefined
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
