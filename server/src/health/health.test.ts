import { spawnSync } from 'node:child_process'
import net from 'node:net'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import request from 'supertest'
import type { App } from '../app.ts'
import { describeEachBackend, openTestDatabase } from '../../../test/db.ts'
import { adminAndManager, testApp } from '../../../test/app.ts'
import { toolAvailable } from '../../../test/tools.ts'
import { startServer } from '../../../test/server.ts'
import { liveClient } from '../../../test/liveClient.ts'
import { openDatabase, type Database } from '../db/knex.ts'

describeEachBackend('health and metrics', (db) => {
  let app: App
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

  const metricsText = async () => (await request(app).get('/metrics')).text
  const sample = (text: string, series: string) => {
    const line = text.split('\n').find((l) => l.startsWith(series + ' '))
    return line === undefined ? undefined : Number(line.slice(series.length + 1))
  }

  it('labels each route the same for every status, whatever answered', async () => {
    const { admin } = await adminAndManager(app)
    await request(app).get('/api/v1/stations/1')
    await request(app).get('/api/v1/stations/x')
    await request(app).get('/api/v1/stations/999999')
    // Answered before routing: not JSON (415) and a wrong method (405).
    await request(app).post('/api/v1/stations').set('Cookie', admin).type('text/plain').send('x')
    await request(app).delete('/api/v1/stations')
    await request(app).get('/api/v1/nope')
    const text = await metricsText()
    const count = (method: string, route: string, status: number) =>
      sample(
        text,
        `http_request_duration_seconds_count{method="${method}",route="${route}",status="${status}"}`,
      )
    expect(count('GET', '/api/v1/stations/:id', 200)).toBeGreaterThan(0)
    expect(count('GET', '/api/v1/stations/:id', 400)).toBeGreaterThan(0)
    expect(count('GET', '/api/v1/stations/:id', 404)).toBeGreaterThan(0)
    expect(count('POST', '/api/v1/stations', 415)).toBeGreaterThan(0)
    expect(count('DELETE', '/api/v1/stations', 405)).toBeGreaterThan(0)
    expect(count('GET', 'unmatched', 404)).toBeGreaterThan(0)
    expect(text).not.toMatch(/route="\/stations/)
    expect(text).toMatch(/process_cpu_user_seconds_total/)
  })

  it('counts reports (accepted, replayed) and the alerts they open; gauges the pool', async () => {
    const { manager, stationId } = await adminAndManager(app)
    const before = await metricsText()
    const report = (key: string, water: number) =>
      request(app)
        .post(`/api/v1/stations/${stationId}/reports`)
        .set('Cookie', manager)
        .set('Idempotency-Key', key)
        .send({ occupancy: 1, supplies: { drinking_water: water } })
    expect((await report(`metrics-${Date.now()}-a`, 90)).status).toBe(201)
    const key = `metrics-${Date.now()}-b`
    expect((await report(key, 1)).status).toBe(201)
    expect((await report(key, 1)).status).toBe(201)
    const after = await metricsText()
    const delta = (series: string) => (sample(after, series) ?? 0) - (sample(before, series) ?? 0)
    expect(delta('yizhan_reports_total{outcome="accepted"}')).toBe(2)
    expect(delta('yizhan_reports_total{outcome="replayed"}')).toBe(1)
    expect(delta('yizhan_supply_alerts_opened_total')).toBe(1)
    for (const state of ['used', 'free', 'pending'])
      expect(sample(after, `yizhan_db_pool_connections{state="${state}"}`)).toBeGreaterThanOrEqual(
        0,
      )
    expect(sample(after, 'yizhan_live_connections')).toBe(0)
  })

  it('gauges live connections on this node', async () => {
    const server = await startServer(db())
    const clients = [liveClient(server.url), liveClient(server.url)]
    try {
      await Promise.all(clients.map((c) => c.connected()))
      const text = await (await fetch(`${server.url}/metrics`)).text()
      expect(sample(text, 'yizhan_live_connections')).toBe(2)
    } finally {
      for (const c of clients) c.close()
      await server.close()
    }
  })

  it.runIf(toolAvailable('promtool'))('promtool finds nothing wrong with the metrics', async () => {
    const text = await metricsText()
    const check = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' })
    expect(check.stdout + check.stderr).toBe('')
    expect(check.status).toBe(0)
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
  let app: App
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

describeEachBackend('draining a node', (db) => {
  it('a draining node is not ready, still answers what it has, and ends its live connections on close', async () => {
    const server = await startServer(db())
    const c = liveClient(server.url)
    try {
      await c.connected()
      expect((await request(server.url).get('/readyz')).body).toEqual({
        status: 'ready',
        feed: 'up',
      })
      server.drain()
      const ready = await request(server.url).get('/readyz')
      expect(ready.status).toBe(503)
      expect(ready.body).toMatchObject({ draining: true, detail: 'This node is shutting down' })
      // the load balancer stops sending; what still arrives is answered
      expect((await request(server.url).get('/api/v1/stations/1')).status).toBe(200)
      const reasons: string[] = []
      c.socket.on('disconnect', (reason) => reasons.push(reason))
      await server.close()
      await expect.poll(() => reasons.length).toBe(1)
    } finally {
      c.close()
    }
  })
})
