import { Router } from 'express'
import type { Knex } from 'knex'
import { parse } from '../errors.ts'
import { idParam } from '../http/params.ts'
import { requireScope } from '../auth/middleware.ts'
import type { LiveHub } from '../live/hub.ts'
import {
  createUserBody,
  listUsersQuery,
  passwordBody,
  stationAssignmentParams,
  updateUserBody,
} from './schema.ts'
import { listUsers } from './queries.ts'
import { assignStationAs, createUserAs, resetPasswordAs, updateUserAs } from './service.ts'

export function userRoutes(knex: Knex, live: LiveHub) {
  const router = Router()
  const admin = requireScope('admin')

  router.get('/users', admin, async (req, res) => {
    const q = parse(listUsersQuery, req.query, 'query')
    res.json(await listUsers(knex, q, req.user!.region))
  })

  router.post('/users', admin, async (req, res) => {
    const body = parse(createUserBody, req.body, 'body')
    const user = await createUserAs(knex, req.user!, body)
    res.status(201).location(`/api/v1/users/${user.id}`).json(user)
  })

  router.patch('/users/:id', admin, async (req, res) => {
    const { id } = parse(idParam, req.params, 'path')
    const body = parse(updateUserBody, req.body, 'body')
    const { user, ended } = await updateUserAs(knex, req.user!, id, body)
    if (ended) live.endUser(id)
    res.json(user)
  })

  router.post('/users/:id/password', admin, async (req, res) => {
    const { id } = parse(idParam, req.params, 'path')
    const body = parse(passwordBody, req.body ?? {}, 'body')
    const answer = await resetPasswordAs(knex, req.user!, id, body.password)
    live.endUser(id)
    res.json(answer)
  })

  for (const [method, assign] of [
    ['put', true],
    ['delete', false],
  ] as const)
    router[method]('/users/:id/stations/:stationId', admin, async (req, res) => {
      const { id, stationId } = parse(stationAssignmentParams, req.params, 'path')
      await assignStationAs(knex, req.user!, id, stationId, assign)
      res.status(204).end()
    })

  return router
}
