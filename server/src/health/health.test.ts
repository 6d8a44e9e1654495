import net from 'node:net'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import request from 'supertest'
import type { Express } from 'express'
import { describeEachBackend, openTestDatabase } from '../../../test/db.ts'
import { testApp } from '../../../test/app.ts'
import { openDatabase, type Database } from '../db/knex.ts'

describeEachBackend('health and metrics', (db) => {
  let app: Express
  beforeAll(() => {
    app = testApp(db())
  })

  it('healthz and readyz answer', async () => {
    expect((await request(app).get('/healthz')).body).toEqual({ status: 'ok' })
    expect((await request(app).get('/readyz')).status).toBe(200)
  })

  it('sets security headers; plain-http deployments are not forced to https', async () => {
    const res = await request(app).get('/healthz')
    expect(res.headers['x-content-type-options']).toBe('nosniff')
    expect(res.headers['content-security-policy']).toMatch(/default-src 'self'/)
    expect(res.headers['content-security-policy']).not.toMatch(/upgrade-insecure-requests/)
  })

  it('metrics count requests by route pattern', async () => {
    await request(app).get('/api/v1/stations/1')
    const res = await request(app).get('/metrics')
    expect(res.status).toBe(200)
    expect(res.text).toMatch(
      /http_request_duration_seconds_count\{method="GET",route="\/api\/v1\/stations\/:id",status="200"\} \d+/,
    )
    expect(res.text).toMatch(/process_cpu_user_seconds_total/)
  })
})

/** A TCP proxy in front of PostgreSQL that can be cut and restored, to lose the database for real. */
function cuttableProxy(target: URL) {
  const sockets = new Set<net.Socket>()
  let server: net.Server | undefined
  let port = 0
  const start = () =>
    new Promise<void>((resolve) => {
      server = net.createServer((client) => {
        const upstream = net.connect(Number(target.port || 5432), target.hostname)
        for (const s of [client, upstream]) {
          sockets.add(s)
          s.on('close', () => sockets.delete(s))
          s.on('error', () => s.destroy())
        }
        client.pipe(upstream).pipe(client)
      })
      server.listen(port, '127.0.0.1', () => {
        port = (server!.address() as net.AddressInfo).port
        resolve()
      })
    })
  const cut = () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy()
      server!.close(() => resolve())
    })
  return { start, cut, port: () => port }
}

describe.skipIf(!inject('postgisTemplate'))('losing the database [postgis]', () => {
  let owned: Awaited<ReturnType<typeof openTestDatabase>>
  let proxied: Database
  let app: Express
  const proxy = cuttableProxy(new URL(inject('postgisTemplate') ?? 'postgres://x'))

  beforeAll(async () => {
    owned = await openTestDatabase('postgis')
    await proxy.start()
    const url = new URL(owned.knex.client.config.connection.connectionString)
    url.host = `127.0.0.1:${proxy.port()}`
    proxied = await openDatabase({ dataDir: '', databaseUrl: url.toString() })
    app = testApp(proxied)
  })
  afterAll(async () => {
    await proxied?.close()
    await owned?.dispose()
  })

  it('answers 503 while the database is gone, never crashes, and recovers', async () => {
    const nearest = '/api/v1/stations/nearest?lat=28.2&lon=112.9'
    expect((await request(app).get('/readyz')).status).toBe(200)
    expect((await request(app).get(nearest)).status).toBe(200)

    await proxy.cut()
    const ready = await request(app).get('/readyz')
    expect(ready.status).toBe(503)
    expect(ready.headers['content-type']).toMatch(/^application\/problem\+json/)
    const down = await request(app).get(nearest)
    expect(down.status).toBe(503)
    expect(down.headers['content-type']).toMatch(/^application\/problem\+json/)
    expect((await request(app).get('/healthz')).status).toBe(200)

    await proxy.start()
    await expect
      .poll(async () => (await request(app).get('/readyz')).status, { timeout: 15_000 })
      .toBe(200)
    expect((await request(app).get(nearest)).status).toBe(200)
  })
})
