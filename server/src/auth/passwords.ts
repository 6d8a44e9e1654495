import { hash, verify } from '@node-rs/argon2'
import crypto from 'node:crypto'

export const hashPassword = (password: string) => hash(password)

export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  try {
    return await verify(passwordHash, password)
  } catch {
    return false
  }
}

/** Session ids and API tokens are random and long, so a fast hash is enough to store them. */
export const sha256 = (secret: string) => crypto.createHash('sha256').update(secret).digest('hex')

export const randomSecret = (prefix = '') => prefix + crypto.randomBytes(32).toString('base64url')
