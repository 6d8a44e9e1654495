import { Router } from 'express'
import type { Knex } from 'knex'
import { parse as parseCookie, serialize } from 'cookie'
import { limitPerAddress, type RateLimits } from '../http/rateLimit.ts'
import { HttpError, badRequest, forbidden, notFound, parse, unauthorized } from '../errors.ts'
import { idParam } from '../http/params.ts'
import type { Config } from '../config.ts'
import type { LiveHub } from '../live/hub.ts'
import { managedStationIds } from '../stations/managers.ts'
import { ROLE_SCOPES } from '../../../contract/vocabulary.ts'
import { loginBody, tokenBody } from './schema.ts'
import { SESSION_COOKIE, requireScope } from './middleware.ts'
import { hashPassword, randomSecret, sha256, verifyPassword } from './passwords.ts'
import {
  createApiToken,
  createSession,
  deleteSession,
  findUserForLogin,
  listApiTokens,
  revokeApiToken,
  type AuthUser,
} from './queries.ts'

// Compared against when the username is unknown, so both cases take as long.
const dummyHash = hashPassword(randomSecret())

const DAY_MS = 86_400_000

/**
 * Guesses at one account from many addresses: after LOGIN_ACCOUNT_FAILURES failures the
 * username waits LOGIN_ACCOUNT_BACKOFF_SECONDS, twice as long after each further round (up to
 * a day). A correct password while waiting is refused too, or the wait would tell it apart.
 */
function accountBackoff(config: Config, limits: RateLimits) {
  const limit = config.LOGIN_ACCOUNT_FAILURES
  const failures = limits.limiter({ keyPrefix: 'login-fail', points: limit, duration: 3600 })
  const rounds = limits.limiter({ keyPrefix: 'login-round', points: 64, duration: 86_400 })
  return {
    async waitMs(username: string): Promise<number> {
      const state = await failures.get(username)
      return state && state.consumedPoints >= limit ? state.msBeforeNext : 0
    },
    async failed(username: string) {
      const state = await failures.penalty(username)
      if (state.consumedPoints < limit) return
      const round = await rounds.penalty(username)
      const seconds = Math.min(
        86_400,
        config.LOGIN_ACCOUNT_BACKOFF_SECONDS * 2 ** (round.consumedPoints - 1),
      )
      await failures.block(username, seconds)
    },
    async succeeded(username: string) {
      await Promise.all([failures.delete(username), rounds.delete(username)])
    },
  }
}

export function authRoutes(knex: Knex, config: Config, live: LiveHub, limits: RateLimits) {
  const router = Router()
  const signedIn = requireScope('read')
  const ttlMs = config.SESSION_TTL_HOURS * 3600_000
  const backoff = accountBackoff(config, limits)

  const describe = async (user: Pick<AuthUser, 'id' | 'username' | 'role' | 'region'>) => ({
    id: user.id,
    username: user.username,
    role: user.role,
    region: user.region,
    station_ids: await managedStationIds(knex, user.id),
  })

  const loginLimiter = limitPerAddress(
    limits,
    'login',
    60_000,
    config.LOGIN_RATE_LIMIT,
    'Too many failed sign-in attempts; wait a minute',
    true,
  )

  router.post('/auth/login', loginLimiter, async (req, res) => {
    const body = parse(loginBody, req.body, 'body')
    const waitMs = await backoff.waitMs(body.username)
    if (waitMs > 0) {
      const seconds = Math.ceil(waitMs / 1000)
      throw new HttpError(
        429,
        'Too Many Requests',
        `Too many failed sign-ins for this account; try again in ${seconds} s`,
        undefined,
        { 'Retry-After': String(seconds) },
      )
    }
    const user = await findUserForLogin(knex, body.username)
    const ok = await verifyPassword(user?.password_hash ?? (await dummyHash), body.password)
    if (!user || !ok) {
      await backoff.failed(body.username)
      throw unauthorized('Wrong username or password')
    }
    await backoff.succeeded(body.username)
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
    if (sessionId) {
      await deleteSession(knex, sessionId)
      live.endCredential({ kind: 'session', hash: sha256(sessionId) })
    }
    res.setHeader(
      'Set-Cookie',
      serialize(SESSION_COOKIE, '', {
        path: '/',
        maxAge: 0,
        httpOnly: true,
        sameSite: 'lax',
        secure: config.COOKIE_SECURE,
      }),
    )
    res.status(204).end()
  })

  router.get('/auth/me', signedIn, async (req, res) => {
    res.json(await describe(req.user!))
  })

  router.post('/auth/tokens', signedIn, async (req, res) => {
    const user = req.user!
    // A leaked token must not be able to outlive its own revocation through tokens it made.
    if (user.credential.kind !== 'session')
      throw forbidden('API tokens are created from a signed-in session, not with a token')
    const body = parse(tokenBody, req.body, 'body')
    const days = body.expires_in_days ?? config.API_TOKEN_TTL_DAYS
    if (days > config.API_TOKEN_MAX_TTL_DAYS) {
      throw badRequest(`expires_in_days: at most ${config.API_TOKEN_MAX_TTL_DAYS}`, [
        { path: 'expires_in_days', message: `at most ${config.API_TOKEN_MAX_TTL_DAYS}` },
      ])
    }
    const beyond = body.scopes.filter((s) => !ROLE_SCOPES[user.role].includes(s))
    if (beyond.length) throw forbidden(`Your role may not grant the scope ${beyond.join(', ')}`)
    const token = randomSecret('yz_')
    const row = await createApiToken(knex, user.id, token, {
      name: body.name,
      scopes: body.scopes,
      expires_at: new Date(Date.now() + days * DAY_MS),
    })
    res.status(201).json({ ...row, expires_at: row.expires_at.toISOString(), token })
  })

  router.get('/auth/tokens', signedIn, async (req, res) => {
    res.json({ tokens: await listApiTokens(knex, req.user!.id) })
  })

  router.delete('/auth/tokens/:id', signedIn, async (req, res) => {
    const { id } = parse(idParam, req.params, 'path')
    if (!(await revokeApiToken(knex, req.user!.id, id))) throw notFound(`No active token ${id}`)
    live.endCredential({ kind: 'token', id })
    res.status(204).end()
  })

  return router
}
