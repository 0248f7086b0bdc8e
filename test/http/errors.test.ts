import t, { type Test } from 'tap'
import pg from 'pg'
import { createTestApp } from '../helpers/app.js'
import { helmetHeaders } from '../../src/http/security-headers.js'

const { app } = await createTestApp(t, { BODY_LIMIT_BYTES: '2048' })

function assertProblem (
  t: Test,
  response: { statusCode: number, headers: Record<string, unknown>, body: string },
  status: number,
  code: string
) {
  t.equal(response.statusCode, status)
  t.match(response.headers['content-type'], /^application\/problem\+json/)
  const body = JSON.parse(response.body)
  t.match(body, { type: String, title: String, status, detail: String, code, requestId: String })
  t.notMatch(response.body, /at .*\.ts:\d+|stack|select |insert |postgres/i, 'no stack trace or SQL')
  return body
}

t.test('an unknown route answers 404 problem+json', async (t) => {
  const response = await app.inject({ method: 'GET', url: '/v1/no-such-thing' })
  assertProblem(t, response, 404, 'route_not_found')
})

t.test('malformed JSON answers 400 problem+json', async (t) => {
  const response = await app.inject({ method: 'POST', url: '/v1/admin/offers', headers: { 'content-type': 'application/json' }, payload: '{"language": "ru",' })
  assertProblem(t, response, 400, 'malformed_json')
})

t.test('a body that breaks the schema lists every offending field path', async (t) => {
  const response = await app.inject({ method: 'GET', url: '/v1/offer?lang=RUS' })
  const body = assertProblem(t, response, 400, 'validation_failed')
  t.match(body.errors, [{ path: 'querystring.lang', message: String }])
})

t.test('an unsupported media type answers 415', async (t) => {
  const response = await app.inject({ method: 'POST', url: '/v1/admin/offers', headers: { 'content-type': 'application/xml' }, payload: '<offer/>' })
  assertProblem(t, response, 415, 'unsupported_media_type')
})

t.test('an oversized body answers 413', async (t) => {
  const response = await app.inject({ method: 'POST', url: '/v1/admin/offers', headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ text: 'x'.repeat(5000) }) })
  assertProblem(t, response, 413, 'payload_too_large')
})

t.test('a request id is accepted and echoed, or generated', async (t) => {
  const given = await app.inject({ method: 'GET', url: '/health/live', headers: { 'x-request-id': 'partner-abc.123' } })
  t.equal(given.headers['x-request-id'], 'partner-abc.123')
  const generated = await app.inject({ method: 'GET', url: '/health/live' })
  t.match(generated.headers['x-request-id'], /^[0-9a-f-]{36}$/)
  const hostile = await app.inject({ method: 'GET', url: '/v1/nope', headers: { 'x-request-id': 'bad id\nwith newline' } })
  t.not(hostile.headers['x-request-id'], 'bad id\nwith newline', 'an unsafe id is replaced')
  t.equal(JSON.parse(hostile.body).requestId, hostile.headers['x-request-id'], 'the problem carries the same id')
})

t.test('an unexpected failure answers 500 without internals', async (t) => {
  const { app: broken, databaseUrl } = await createTestApp(t)
  const client = new pg.Client({ connectionString: databaseUrl })
  await client.connect()
  await client.query('alter table offers rename to offers_gone') // every offer query now fails in SQL
  await client.end()
  const response = await broken.inject({ method: 'GET', url: '/v1/offer' })
  const body = assertProblem(t, response, 500, 'internal_error')
  t.notMatch(body.detail, /offers|relation|exist/i)
})

t.test('security headers are set', async (t) => {
  const response = await app.inject({ method: 'GET', url: '/v1/agency' })
  t.equal(response.headers['x-content-type-options'], 'nosniff')
  t.match(response.headers['content-security-policy'], /default-src 'self'.*frame-ancestors 'self'.*script-src 'self'/)
  t.notMatch(response.headers['content-security-policy'], /form-action/, 'form-action left out (the bank\'s hosted page is a form target)')
  t.equal(response.headers['x-frame-options'], 'SAMEORIGIN')
  t.equal(response.headers['referrer-policy'], 'no-referrer')
  t.equal(response.headers['cross-origin-opener-policy'], 'same-origin')
  t.equal(response.headers['strict-transport-security'], undefined, 'no HSTS while the public address is plain http')
  const error = await app.inject({ method: 'GET', url: '/v1/nothing-here' })
  t.equal(error.headers['x-content-type-options'], 'nosniff', 'on errors too')
})

t.test('the security headers are recorded once, so a policy computed per request is refused at startup', async (t) => {
  t.match(helmetHeaders({ hsts: false }), { 'x-frame-options': 'SAMEORIGIN', 'content-security-policy': /default-src 'self'/ })
  t.equal(helmetHeaders({ hsts: false })['strict-transport-security'], undefined)
  t.throws(() => helmetHeaders({ contentSecurityPolicy: { directives: { 'script-src': ["'self'", () => "'nonce-abc'"] } } }), TypeError)
})

t.test('without CORS_ORIGINS no origin is allowed: no CORS header, no preflight answer', async (t) => {
  const preflight = await app.inject({ method: 'OPTIONS', url: '/v1/debts/lookup', headers: { origin: 'https://explus.kz', 'access-control-request-method': 'POST' } })
  assertProblem(t, preflight, 404, 'route_not_found')
  t.equal(preflight.headers['access-control-allow-origin'], undefined)
  const response = await app.inject({ method: 'GET', url: '/v1/agency', headers: { origin: 'https://explus.kz' } })
  t.equal(response.statusCode, 200)
  t.equal(response.headers['access-control-allow-origin'], undefined)
})

t.test('an https deploy with CORS_ORIGINS: HSTS, and only the listed origins get CORS answers', async (t) => {
  const { app: site } = await createTestApp(t, { PUBLIC_BASE_URL: 'https://pay.explus.kz', CORS_ORIGINS: 'https://explus.kz' })
  const response = await site.inject({ method: 'GET', url: '/v1/agency', headers: { origin: 'https://explus.kz' } })
  t.match(response.headers['strict-transport-security'], /^max-age=\d+/)
  t.equal(response.headers['access-control-allow-origin'], 'https://explus.kz')
  t.match(response.headers['access-control-expose-headers'], /X-Request-Id/)
  const preflight = await site.inject({ method: 'OPTIONS', url: '/v1/debts/lookup', headers: { origin: 'https://explus.kz', 'access-control-request-method': 'POST' } })
  t.equal(preflight.statusCode, 204)
  t.equal(preflight.headers['access-control-allow-origin'], 'https://explus.kz')
  t.match(preflight.headers['access-control-allow-methods'], /POST/)
  const stranger = await site.inject({ method: 'GET', url: '/v1/agency', headers: { origin: 'https://evil.example' } })
  t.equal(stranger.headers['access-control-allow-origin'], undefined)
})
