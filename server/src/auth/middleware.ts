import type { RequestHandler } from 'express'
import type { Knex } from 'knex'
import { parse as parseCookie } from 'cookie'
import { forbidden, unauthorized } from '../errors.ts'
import type { Scope } from '../../../contract/vocabulary.ts'
import { userByApiToken, userBySession, type AuthUser } from './queries.ts'

export const SESSION_COOKIE = 'yz_session'

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      user?: AuthUser
    }
  }
}

/** Who is asking: a session cookie (browsers) or a bearer API token (scripts, kiosks). */
export async function resolveUser(
  knex: Knex,
  headers: { cookie?: string; authorization?: string },
): Promise<AuthUser | undefined> {
  const bearer = headers.authorization?.match(/^Bearer\s+(\S+)$/i)?.[1]
  if (bearer) return userByApiToken(knex, bearer)
  const sessionId = headers.cookie ? parseCookie(headers.cookie)[SESSION_COOKIE] : undefined
  if (sessionId) return userBySession(knex, sessionId)
  return undefined
}

export function authenticate(knex: Knex): RequestHandler {
  return async (req, _res, next) => {
    req.user = await resolveUser(knex, req.headers)
    next()
  }
}

/** Signed in, and the credential has this scope (a session has its role's; see ROLE_SCOPES). */
export function requireScope(scope: Scope): RequestHandler {
  return (req, _res, next) => {
    if (!req.user) return next(unauthorized())
    if (!req.user.scopes.includes(scope))
      return next(
        forbidden(
          req.user.credential.kind === 'token'
            ? `This API token lacks the scope ${scope}`
            : `Your role may not do this (needs the scope ${scope})`,
        ),
      )
    next()
  }
}
