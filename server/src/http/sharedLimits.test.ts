import crypto from 'node:crypto'
import { afterAll, expect, it } from 'vitest'
import request from 'supertest'
import { createClient } from 'redis'
import { describeEachBackend } from '../../../test/db.ts'
import { testConfig } from '../../../test/app.ts'
import { TEST_PASSWORD } from '../../../test/templates.ts'
import { startServer } from '../../../test/server.ts'
import { canStartRedis, startRedis } from '../../../test/redisInstance.ts'

const redisUrl = process.env.REDIS_URL_TEST ?? 'redis://127.0.0.1:6379'

async function redisReachable() {
  const client = createClient({
    url: redisUrl,
    socket: { reconnectStrategy: false, connectTimeout: 2000 },
  })
  client.on('error', () => {})
  try {
    await client.connect()
    await client.ping()
    await client.quit()
    return true
  } catch {
    if (process.env.REQUIRE_REDIS === '1')
      throw new Error(`REQUIRE_REDIS=1 but Redis at ${redisUrl} is unreachable`)
    return false
  }
}

const hasRedis = await redisReachable()
const ownRedis = canStartRedis()

type Node = Awaited<ReturnType<typeof startServer>>

/** Two nodes on one database and one Redis, their counters under a prefix of their own. */
async function twoNodes(
  db: Parameters<typeof startServer>[0],
  url: string,
  env: Record<string, string>,
) {
  const config = testConfig({ REDIS_KEY_PREFIX: `test-${crypto.randomUUID()}:`, ...env })
  const a = await startServer(db, { config, redisUrl: url })
  const b = await startServer(db, { config, redisUrl: url })
  return [a, b] as const
}

const guess = (node: Node, username: string, password = 'not-the-password') =>
  request(node.url).post('/api/v1/auth/login').send({ username, password })

describeEachBackend('rate limits shared by the nodes through Redis', (db) => {
  const nodes: Node[] = []
  afterAll(async () => {
    await Promise.all(nodes.map((n) => n.close()))
  })

  it.skipIf(!hasRedis)('sign-in guesses from one address count on every node', async () => {
    const limit = 6
    const [a, b] = await twoNodes(db(), redisUrl, { LOGIN_RATE_LIMIT: String(limit) })
    nodes.push(a, b)
    const statuses: number[] = []
    // Unknown names, so that only the per-address limit is in play.
    for (let i = 0; i < limit + 2; i++)
      statuses.push((await guess(i % 2 ? b : a, `nobody${i}`)).status)
    expect(statuses).toEqual([...Array(limit).fill(401), 429, 429])
  })

  it.skipIf(!hasRedis)("an account's back-off counts failures made on every node", async () => {
    const failures = 4
    const [a, b] = await twoNodes(db(), redisUrl, {
      LOGIN_ACCOUNT_FAILURES: String(failures),
      LOGIN_ACCOUNT_BACKOFF_SECONDS: '60',
    })
    nodes.push(a, b)
    for (let i = 0; i < failures; i++)
      expect((await guess(i % 2 ? b : a, 'planner')).status).toBe(401)
    // Even the right password waits, on either node.
    for (const node of [a, b]) {
      const res = await guess(node, 'planner', TEST_PASSWORD)
      expect(res.status).toBe(429)
      expect(Number(res.headers['retry-after'])).toBeGreaterThan(50)
    }
  })

  it.skipIf(!ownRedis)(
    'with Redis gone, each node still limits on its own and answers',
    async () => {
      const redis = await startRedis()
      try {
        const limit = 4
        const [a, b] = await twoNodes(db(), redis.url, {
          LOGIN_RATE_LIMIT: String(limit),
          LOGIN_ACCOUNT_FAILURES: '3',
          LOGIN_ACCOUNT_BACKOFF_SECONDS: '60',
        })
        nodes.push(a, b)
        // The app trusts a loopback proxy, so each guess can come from an address of its own.
        let addresses = 0
        const from = (address = `10.1.0.${++addresses}`) => ({ 'X-Forwarded-For': address })
        const guessFrom = (node: Node, username: string, address?: string, password?: string) =>
          guess(node, username, password).set(from(address))

        // Shared while Redis runs: the limit is reached with half the guesses on each node.
        for (let i = 0; i < limit / 2; i++) {
          expect((await guessFrom(a, `x${i}a`, '10.0.0.1')).status).toBe(401)
          expect((await guessFrom(b, `x${i}b`, '10.0.0.1')).status).toBe(401)
        }
        expect((await guessFrom(a, 'x-last', '10.0.0.1')).status).toBe(429)

        await redis.stop()
        for (const [n, node] of [a, b].entries()) {
          // Per node, from nothing: a whole limit of guesses on each, then refused.
          const statuses: number[] = []
          for (let i = 0; i < limit + 1; i++)
            statuses.push((await guessFrom(node, `y${n}-${i}`, '10.0.0.2')).status)
          expect(statuses).toEqual([...Array(limit).fill(401), 429])
          // The account back-off holds per node too.
          for (let i = 0; i < 3; i++) expect((await guessFrom(node, 'planner')).status).toBe(401)
          expect((await guessFrom(node, 'planner', undefined, TEST_PASSWORD)).status).toBe(429)
          // and everyone else signs in.
          expect((await guessFrom(node, 'admin', undefined, TEST_PASSWORD)).status).toBe(200)
        }
      } finally {
        await redis.stop()
      }
    },
  )
})
