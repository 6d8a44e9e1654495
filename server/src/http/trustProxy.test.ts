import { expect, it } from 'vitest'
import request from 'supertest'
import { describeEachBackend } from '../../../test/db.ts'
import { testConfig } from '../../../test/app.ts'
import { createApp } from '../app.ts'
import { loadConfig } from '../config.ts'

describeEachBackend('TRUST_PROXY: whose X-Forwarded-For is believed', (db) => {
  const ask = (app: ReturnType<typeof createApp>, from: string) =>
    request(app)
      .post('/api/v1/station-requests')
      .set('X-Forwarded-For', from)
      .send({ location: { lon: 112.95, lat: 28.2 } })

  it('behind a trusted proxy each client has its own limit; an untrusted one is one client', async () => {
    const overrides = { STATION_REQUEST_RATE_LIMIT: '1' }
    const behindProxy = createApp({ db: db(), config: testConfig(overrides) })
    expect((await ask(behindProxy, '203.0.113.1')).status).toBe(201)
    expect((await ask(behindProxy, '203.0.113.2')).status).toBe(201)
    expect((await ask(behindProxy, '203.0.113.1')).status).toBe(429)

    // the test's loopback connection is not a trusted proxy here: its header is ignored
    const direct = createApp({
      db: db(),
      config: testConfig({ ...overrides, TRUST_PROXY: '10.0.0.0/8' }),
    })
    expect((await ask(direct, '203.0.113.3')).status).toBe(201)
    expect((await ask(direct, '203.0.113.4')).status).toBe(429)
  })

  it('a bad TRUST_PROXY stops the start with the reason', () => {
    expect(() => loadConfig({ TRUST_PROXY: 'loopback,not-an-address' })).toThrow(
      /TRUST_PROXY: invalid IP address: not-an-address/,
    )
  })
})
