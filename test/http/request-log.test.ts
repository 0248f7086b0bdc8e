import t from 'tap'
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
