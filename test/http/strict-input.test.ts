import t from 'tap'
import { connect } from 'node:net'
import { MAX_AMOUNT } from '../../src/http/schemas.js'
import { createKey, createTestApp } from '../helpers/app.js'

/**
 * Strict input: nothing is coerced, no NUL, no number outside the safe range,
 * URLs as the URL parser reads them, and every refusal the framework itself
 * produces is a problem document with a code.
 */
const ACCEPTANCE_ID = 'acc_0193b3f2a4c07d1e8b5a2f6c9d0e1f23'
type Doc = Record<string, any>

t.test('a string is never a number or a boolean, on any route', async (t) => {
  const { app } = await createTestApp(t)
  const admin = await createKey(app, ['admin'])
  const payment = await app.inject({
    method: 'POST', url: '/v1/payments', headers: { 'idempotency-key': 'strict-1' },
    payload: { acceptanceId: ACCEPTANCE_ID, amount: '10000.00', currency: 'KZT' }
  })
  t.equal(payment.statusCode, 400)
  t.match(payment.json(), { code: 'validation_failed', errors: [{ path: 'body.amount' }] }, '"10000.00" is not 10000 tiyn')
  t.equal((await app.inject({
    method: 'POST', url: '/v1/payments', headers: { 'idempotency-key': 'strict-2' },
    payload: { acceptanceId: ACCEPTANCE_ID, amount: '10000', currency: 'KZT' }
  })).statusCode, 400, 'nor is "10000"')

  const acceptance = await app.inject({
    method: 'POST', url: '/v1/offer-acceptances',
    payload: { offerVersion: 1, offerSha256: 'a'.repeat(64), debtId: 'debt_0193b3f2a4c07d1e8b5a2f6c9d0e1f23', payer: { fullName: 'Иванов Иван', email: 'i@example.kz', phone: '+77011234567' }, personalDataConsent: 'true' }
  })
  t.equal(acceptance.statusCode, 400)
  t.match(acceptance.json(), { code: 'validation_failed', errors: [{ path: 'body.personalDataConsent' }] }, '"true" is not consent')

  // Every JSON body field the document declares integer or boolean, sent as text.
  const doc = app.swagger() as Doc
  const resolve = (schema: Doc | undefined): Doc => (schema?.$ref !== undefined ? resolve(doc.components.schemas[String(schema.$ref).replace('#/components/schemas/', '')]) : schema ?? {})
  let checked = 0
  for (const [path, item] of Object.entries(doc.paths as Record<string, Doc>)) {
    for (const [method, operation] of Object.entries(item)) {
      const schema = resolve(operation.requestBody?.content?.['application/json']?.schema)
      for (const [field, property] of Object.entries((schema.properties ?? {}) as Record<string, Doc>)) {
        const type = resolve(property).type
        if (type !== 'integer' && type !== 'boolean') continue
        const url = path.replace(/\{[^}]+\}/g, 'x')
        const response = await app.inject({
          method: method.toUpperCase() as 'POST',
          url,
          headers: { authorization: admin.authorization, 'idempotency-key': `strict-${checked}` },
          payload: { [field]: type === 'integer' ? '1' : 'true' }
        })
        t.equal(response.statusCode, 400, `${method.toUpperCase()} ${path} refuses "${field}" as text`)
        t.equal(response.json().code, 'validation_failed')
        checked++
      }
    }
  }
  t.ok(checked >= 5, `every numeric and boolean body field was tried (${checked})`)
})

t.test('query strings are read strictly: a well-formed integer passes, anything else is 400', async (t) => {
  const { app } = await createTestApp(t)
  const admin = await createKey(app, ['admin'])
  const list = async (query: string) => await app.inject({ method: 'GET', url: `/v1/admin/payments?${query}`, headers: { authorization: admin.authorization } })
  t.equal((await list('limit=20')).statusCode, 200)
  for (const bad of ['limit=1e309', 'limit=1e2', 'limit=20.0', 'limit=0x10', 'limit=%2020', 'limit=9007199254740993', 'limit=', 'limit=Infinity']) {
    const response = await list(bad)
    t.equal(response.statusCode, 400, bad)
    t.match(response.json(), { code: 'validation_failed', errors: [{ path: 'querystring.limit' }] })
  }
  const needsReview = await list('needsReview=yes')
  t.equal(needsReview.statusCode, 400, 'a boolean is true or false, nothing else')
  t.equal((await list('needsReview=true')).statusCode, 200)
})

t.test('no NUL in any string, no number outside the safe range, amounts bounded', async (t) => {
  const { app } = await createTestApp(t)
  const lookup = await app.inject({ method: 'POST', url: '/v1/debts/lookup', payload: { contractNumber: 'KD\u0000-1', iin: '900101300017' } })
  t.equal(lookup.statusCode, 400)
  t.match(lookup.json(), { code: 'validation_failed', errors: [{ path: 'body.contractNumber', message: /NUL/ }] })

  const pay = (amount: string) => app.inject({
    method: 'POST', url: '/v1/payments', headers: { 'idempotency-key': `bound-${amount}`, 'content-type': 'application/json' },
    payload: `{"acceptanceId":"${ACCEPTANCE_ID}","amount":${amount},"currency":"KZT"}`
  })
  for (const amount of ['1e309', '-1e309', '123456789012345678901234567890', String(MAX_AMOUNT + 1)]) {
    const response = await pay(amount)
    t.equal(response.statusCode, 400, `amount ${amount}`)
    t.match(response.json(), { code: 'validation_failed', errors: [{ path: 'body.amount' }] })
  }
  const query = await app.inject({ method: 'GET', url: '/v1/offer?lang=r%00u' })
  t.equal(query.statusCode, 400, 'a NUL in a query string too')
  t.equal(query.json().code, 'validation_failed')
})

t.test('URLs are checked by the parser that later uses them', async (t) => {
  const { app } = await createTestApp(t)
  for (const returnUrl of ['http://1.2.3.4.5/', 'http://[::1', 'http://exa mple.kz/']) {
    const response = await app.inject({
      method: 'POST', url: '/v1/payments', headers: { 'idempotency-key': `url-${returnUrl}` },
      payload: { acceptanceId: ACCEPTANCE_ID, amount: 10000, currency: 'KZT', returnUrl }
    })
    t.equal(response.statusCode, 400, returnUrl)
    t.match(response.json(), { code: 'validation_failed', errors: [{ path: 'body.returnUrl' }] })
  }
})

t.test('what the framework refuses is a problem document with a code', async (t) => {
  const { app } = await createTestApp(t, { BODY_LIMIT_BYTES: '2048' })
  const problem = (
    response: { statusCode: number, headers: Record<string, unknown>, json: () => any }, status: number, code: string
  ): void => {
    t.equal(response.statusCode, status, code)
    t.match(String(response.headers['content-type']), /^application\/problem\+json/)
    t.match(response.json(), { status, code, requestId: /\S/ })
  }
  problem(await app.inject({ method: 'GET', url: `/v1/payments/pay_${'0'.repeat(120)}` }), 414, 'uri_too_long')
  problem(await app.inject({ method: 'GET', url: '/v1/nowhere' }), 404, 'route_not_found')
  const echoed = await app.inject({ method: 'GET', url: `/v1/nowhere/${encodeURIComponent('4111 1111 1111 1111')}` })
  t.equal(echoed.statusCode, 404)
  t.notMatch(echoed.body, /4111/, 'an unknown path holding a card number is not echoed back')
  problem(await app.inject({ method: 'POST', url: '/v1/debts/lookup', headers: { 'content-type': 'application/xml' }, payload: '<x/>' }), 415, 'unsupported_media_type')
  problem(await app.inject({ method: 'POST', url: '/v1/debts/lookup', headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ contractNumber: 'x'.repeat(4000), iin: '1' }) }), 413, 'payload_too_large')
  problem(await app.inject({ method: 'POST', url: '/v1/debts/lookup', headers: { 'content-type': 'application/json' }, payload: '{"contractNumber":' }), 400, 'malformed_json')
  problem(await app.inject({ method: 'GET', url: '/v1/payments/%E0%A4%A' }), 400, 'bad_url')

  // Oversized headers never reach a route: Node refuses them on the socket.
  const address = await app.listen({ port: 0, host: '127.0.0.1' })
  const port = Number(new URL(address).port)
  const raw = await new Promise<string>((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.write(`GET /v1/offer HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`)
    })
    let text = ''
    socket.on('data', (chunk) => { text += chunk.toString() })
    socket.on('close', () => { resolve(text) })
    socket.on('error', reject)
  })
  const [head, body] = raw.split('\r\n\r\n') as [string, string]
  t.match(head, /^HTTP\/1\.1 431 /)
  t.match(head, /content-type: application\/problem\+json/i)
  t.match(JSON.parse(body), { status: 431, code: 'headers_too_large' })
})
