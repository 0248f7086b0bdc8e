import t from 'tap'
import pg from 'pg'
import { buildApp } from '../../src/app.js'
import { createTestApp, createTestDatabase, testConfig } from '../helpers/app.js'

t.test('ready when the database answers and every migration is applied', async (t) => {
  const { app } = await createTestApp(t)
  const live = await app.inject({ method: 'GET', url: '/health/live' })
  t.equal(live.statusCode, 200)
  const ready = await app.inject({ method: 'GET', url: '/health/ready' })
  t.equal(ready.statusCode, 200)
  t.same(ready.json(), { status: 'ok', bank: 'sandbox', checks: { database: 'ok', migrations: 'ok' } }, 'a sandbox deployment says so')
})

t.test('readiness names the live bank when BANK_MODE=live', async (t) => {
  const { app } = await createTestApp(t, { BANK_MODE: 'live', BANK_BASE_URL: 'https://api.freedompay.kz', BANK_MERCHANT_ID: '545', BANK_SECRET_KEY: 'live-secret', MAIL_MODE: 'smtp', SMTP_URL: 'smtp://127.0.0.1:1', MAIL_FROM: 'noreply@explus.kz' })
  const ready = await app.inject({ method: 'GET', url: '/health/ready' })
  t.equal(ready.statusCode, 200)
  t.equal(ready.json().bank, 'live')
  t.equal((await app.inject({ method: 'GET', url: '/sandbox/bank/pay/1' })).statusCode, 404, 'no sandbox bank is mounted in live mode')
})

t.test('not ready while a migration is pending', async (t) => {
  const url = await createTestDatabase(t)
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  await client.query("delete from kysely_migration where name = '0001_foundation'")
  await client.end()
  const app = await buildApp(testConfig(url), { logger: false })
  t.teardown(async () => { await app.close() })
  const ready = await app.inject({ method: 'GET', url: '/health/ready' })
  t.equal(ready.statusCode, 503)
  t.equal(ready.json().code, 'migrations_pending')
})

t.test('not ready when the database is unreachable', async (t) => {
  const app = await buildApp(testConfig('postgres://nobody:x@127.0.0.1:1/none'), { logger: false })
  t.teardown(async () => { await app.close() })
  const ready = await app.inject({ method: 'GET', url: '/health/ready' })
  t.equal(ready.statusCode, 503)
  t.equal(ready.headers['content-type'], 'application/problem+json; charset=utf-8')
  t.equal(ready.json().code, 'database_unavailable')
  t.equal(ready.headers['retry-after'], '5', 'says when to come back')
})

t.test('a worker process serves only its health probes', async (t) => {
  const { app } = await createTestApp(t, { ROLE: 'worker' })
  t.equal((await app.inject({ method: 'GET', url: '/health/ready' })).statusCode, 200)
  const api = await app.inject({ method: 'GET', url: '/v1/offer' })
  t.equal(api.statusCode, 404)
  t.equal(api.json().code, 'route_not_found')
  t.equal((await app.inject({ method: 'GET', url: '/sandbox/bank/pay/1' })).statusCode, 404, 'nor the sandbox bank')
})
