/**
 * Child process of the live benchmark's baseline: a bare `ws` server, or a bare socket.io
 * server, that broadcasts the same message to every client as fast as it can.
 */
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { WebSocketServer } from 'ws'
import { Server } from 'socket.io'

export type BaselineCommand =
  { type: 'blast'; messages: number; payload: object } | { type: 'close' }
export type BaselineReply = { type: 'listening'; url: string } | { type: 'blasted'; ms: number }

const mode = process.argv[2] as 'ws' | 'socketio-bare'
const server = http.createServer()
let broadcast: (payload: object) => void

if (mode === 'ws') {
  const wss = new WebSocketServer({ server })
  broadcast = (payload) => {
    // What a hand-written ws fan-out does: encode once, send the same frame to each client.
    const data = JSON.stringify(payload)
    for (const client of wss.clients) client.send(data)
  }
} else {
  const io = new Server(server, { transports: ['websocket'] })
  broadcast = (payload) => io.emit('m', payload)
}

server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo
  const url = mode === 'ws' ? `ws://127.0.0.1:${port}` : `http://127.0.0.1:${port}`
  process.send!({ type: 'listening', url } satisfies BaselineReply)
})

process.on('message', (cmd: BaselineCommand) => {
  if (cmd.type === 'blast') {
    const started = performance.now()
    for (let i = 0; i < cmd.messages; i++) broadcast({ ...cmd.payload, seq: i })
    process.send!({ type: 'blasted', ms: performance.now() - started } satisfies BaselineReply)
  } else {
    server.close()
    process.exit(0)
  }
})
