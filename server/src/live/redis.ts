import { createClient } from 'redis'
import { createAdapter } from '@socket.io/redis-streams-adapter'

/** Several server processes share live updates through one Redis stream. */
export async function redisAdapter(url: string, onError: (err: unknown) => void) {
  const client = createClient({ url })
  // Redis going away must not crash the process; the client reconnects by itself.
  client.on('error', onError)
  await client.connect()
  return {
    adapter: createAdapter(client),
    ready: () => client.isReady,
    close: async () => {
      await client.quit().catch(() => client.destroy())
    },
  }
}
