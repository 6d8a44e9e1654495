import { createClient } from 'redis'
import { createAdapter } from '@socket.io/redis-streams-adapter'

/**
 * The one Redis client of a process: live updates between server processes (the adapter
 * opens its own connections from it for blocking reads) and the shared rate limits.
 */
export async function connectRedis(url: string, onError: (err: unknown) => void) {
  const client = createClient({ url })
  // Redis going away must not crash the process; the client reconnects by itself.
  client.on('error', onError)
  await client.connect()
  return client
}

export type Redis = Awaited<ReturnType<typeof connectRedis>>

/** Several server processes share live updates through one Redis stream. */
export const redisAdapter = (client: Redis) => createAdapter(client)

/** Waits for pending commands, unless Redis is away: then they would wait for its return. */
export async function closeRedis(client: Redis) {
  if (client.isReady) await client.close().catch(() => client.destroy())
  else client.destroy()
}
