import { Router } from 'express'
import type { Knex } from 'knex'
import { limitPerAddress } from '../http/rateLimit.ts'
import { parse as parseCookie, serialize } from 'cookie'
import { notFound, parse, unauthorized } from '../errors.ts'
import { idParam } from '../http/params.ts'
import type { Config } from '../config.ts'
import { loginBody, tokenBody } from './schema.ts'
import { SESSION_COOKIE, requireRole } from './middleware.ts'
import { hashPassword, randomSecret, verifyPassword } from './passwords.ts'
import {
  createApiToken,
  createSession,
  deleteSession,
  findUserForLogin,
  listApiTokens,
  managedStationIds,
  revokeApiToken,
  type AuthUser,
} from './queries.ts'

// Compared against when the username is unknown, so both cases take as long.
const dummyHash = hashPassword(randomSecret())

export function authRoutes(knex: Knex, config: Config) {
  const router = Router()
  const signedIn = requireRole('admin', 'planner', 'manager')
  const ttlMs = config.SESSION_TTL_HOURS * 3600_000

  const describe = async (user: AuthUser) => ({
    id: user.id,
    username: user.username,
    role: user.role,
    station_ids: await managedStationIds(knex, user.id),
  })

  const loginLimiter = limitPerAddress(
    60_000,
    config.LOGIN_RATE_LIMIT,
    'Too many failed sign-in attempts; wait a minute',
    true,
  )

  router.post('/auth/login', loginLimiter, async (req, res) => {
    const body = parse(loginBody, req.body, 'body')
    const user = await findUserForLogin(knex, body.username)
    const ok = await verifyPassword(user?.password_hash ?? (await dummyHash), body.password)
    if (!user || !ok) throw unauthorized('Wrong username or password')
    const sessionId = randomSecret()
    await createSession(knex, user.id, sessionId, ttlMs)
    res.setHeader(
      'Set-Cookie',
      serialize(SESSION_COOKIE, sessionId, {
        httpOnly: true,
        sameSite: 'lax',
        secure: config.COOKIE_SECURE,
        path: '/',
        maxAge: ttlMs / 1000,
      }),
    )
    res.json(await describe(user))
  })

  router.post('/auth/logout', async (req, res) => {
    const sessionId = req.headers.cookie
      ? parseCookie(req.headers.cookie)[SESSION_COOKIE]
      : undefined
    if (sessionId) await deleteSession(knex, sessionId)
    res.setHeader(
      'Set-Cookie',
      serialize(SESSION_COOKIE, '', { path: '/', maxAge: 0, httpOnly: true, sameSite: 'lax' }),
    )
    res.status(204).end()
  })

  router.get('/auth/me', signedIn, async (req, res) => {
    res.json(await describe(req.user!))
  })

  router.post('/auth/tokens', signedIn, async (req, res) => {
    const body = parse(tokenBody, req.body, 'body')
    const token = randomSecret('yz_')
    const row = await createApiToken(knex, req.user!.id, body.name, token)
    res.status(201).json({ id: row.id, name: row.name, token })
  })

  router.get('/auth/tokens', signedIn, async (req, res) => {
    res.json({ tokens: await listApiTokens(knex, req.user!.id) })
  })

  router.delete('/auth/tokens/:id', signedIn, async (req, res) => {
    const { id } = parse(idParam, req.params, 'path')
    if (!(await revokeApiToken(knex, req.user!.id, id))) throw notFound(`No active token ${id}`)
    res.status(204).end()
  })

  return router
}
