import t from 'tap'
import { sql } from 'kysely'
import { createApiKey } from '../../src/modules/api-keys/service.js'
import { buildApp, loggerOptions } from '../../src/app.js'
import { createTestDatabase, testConfig } from '../helpers/app.js'

/**
 * The service's own request log: one line per request once its response
 * is sent, with method, path, request id, status and time, and nothing of
 * the query string or the body.
 */
const lines: Array<Record<string, any>> = []
const config = testConfig(await createTestDatabase(t))
const app = await buildApp(config, { logger: { ...(loggerOptions('info') as object), stream: { write: (line: string) => { lines.push(JSON.parse(line)) } } } })
t.teardown(async () => { await app.close() })
// routes that log through request.log, as the service's own routes do on their error paths
app.get('/test/logs', async (request) => {
  request.log.info({ email: 'someone@mail.kz', step: 'one' }, 'from a route')
  request.log.child({ part: 'inner' }).warn({ iin: '871008401427' }, 'from a child')
  return { ok: true }
})
app.get('/test/quiet', { logLevel: 'warn' }, async (request) => {
  request.log.info('below the route\'s level')
  request.log.warn({ routeLevel: request.log.level }, 'at the route\'s level')
  request.log.level = 'error'
  request.log.warn('below the level set for this request')
  request.log.error('at the level set for this request')
  return { ok: true }
})

t.test('each request is logged once, when answered, without its query string or body', async (t) => {
  const from = lines.length
  const lookup = await app.inject({ method: 'POST', url: '/v1/debts/lookup?email=someone@mail.kz', headers: { 'x-request-id': 'req-log-test-1' }, payload: { contractNumber: 'КД-404', iin: '871008401427' } })
  const health = await app.inject({ method: 'GET', url: '/health/live', headers: { 'x-request-id': 'req-log-test-2' } })
  const logged = lines.slice(from).filter((l) => l.req !== undefined || l.res !== undefined)
  t.same(logged.map((l) => [l.msg, l.reqId, l.req?.method, l.req?.path, l.res?.statusCode, typeof l.responseTime]), [
    ['request completed', 'req-log-test-1', 'POST', '/v1/debts/lookup', lookup.statusCode, 'number'],
    ['request completed', 'req-log-test-2', 'GET', '/health/live', health.statusCode, 'number']
  ])
  const text = JSON.stringify(lines.slice(from))
  t.notMatch(text, /someone|871008401427|КД-404/, 'neither the query string nor the body is logged')
})

t.test('what a route logs through request.log carries the request id and is redacted; a route\'s log level holds', async (t) => {
  const from = lines.length
  await app.inject({ method: 'GET', url: '/test/logs', headers: { 'x-request-id': 'req-log-test-3' } })
  await app.inject({ method: 'GET', url: '/test/quiet', headers: { 'x-request-id': 'req-log-test-4' } })
  const own = lines.slice(from).filter((l) => l.req === undefined)
  t.match(own, [
    { msg: 'from a route', reqId: 'req-log-test-3', step: 'one', email: '[redacted]', level: 30 },
    { msg: 'from a child', reqId: 'req-log-test-3', part: 'inner', iin: '[redacted]', level: 40 },
    { msg: 'at the route\'s level', reqId: 'req-log-test-4', routeLevel: 'warn', level: 40 },
    { msg: 'at the level set for this request', reqId: 'req-log-test-4', level: 50 }
  ])
  t.equal(own.length, 4, 'nothing below the route\'s level')
  t.notMatch(JSON.stringify(lines.slice(from)), /someone@mail|871008401427/)
})

t.test('a key refused for its expiry or its address: the reason at info, never the key', async (t) => {
  const bound = await createApiKey(app.db, null, { name: 'bound', scopes: ['admin'], allowedIps: ['10.0.0.0/8'] })
  const expiring = await createApiKey(app.db, null, { name: 'expiring', scopes: ['admin'], expiresAt: new Date(Date.now() + 60_000).toISOString() })
  await sql`update api_keys set expires_at = now() - interval '1 second' where name = 'expiring'`.execute(app.db)
  const from = lines.length
  for (const [key, requestId] of [[bound.key, 'refused-address'], [expiring.key, 'refused-expired']] as const) {
    const response = await app.inject({ method: 'GET', url: '/v1/admin/api-keys', remoteAddress: '203.0.113.5', headers: { authorization: `Bearer ${key}`, 'x-request-id': requestId } })
    t.equal(response.statusCode, 401)
  }
  const refused = lines.slice(from).filter((l) => l.msg === 'API key refused')
  t.match(refused, [
    { level: 30, reqId: 'refused-address', keyId: bound.id, reason: 'address_not_allowed' },
    { level: 30, reqId: 'refused-expired', keyId: expiring.id, reason: 'expired' }
  ])
  const logged = JSON.stringify(lines.slice(from))
  t.notMatch(logged, bound.key, 'never the key')
  t.notMatch(logged, expiring.key, 'never the key')
})
