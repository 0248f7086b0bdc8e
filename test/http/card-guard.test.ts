import { randomUUID } from 'node:crypto'
import type { Readable } from 'node:stream'
import t, { type Test } from 'tap'
import fc from 'fast-check'
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify'
import { Type } from '@sinclair/typebox'
import { sql } from 'kysely'
import databasePlugin from '../../src/db/plugin.js'
import { configPlugin, piiPlugin } from '../../src/app-context.js'
import authPlugin from '../../src/http/auth.js'
import { keyLookup } from '../../src/modules/api-keys/service.js'
import cardGuard from '../../src/http/card-guard.js'
import idempotency, { idempotencyHeaders } from '../../src/http/idempotency.js'
import { registerErrorHandling } from '../../src/http/errors.js'
import { loggerOptions } from '../../src/app.js'
import { RequestLog } from '../../src/http/request-log.js'
import { createTestDatabase, testConfig } from '../helpers/app.js'
import { luhnCheckDigit } from '../helpers/cards.js'

/**
 * The card guard on a small app of its own, with the idempotency layer
 * behind it: a refused body must never reach a handler, the key store or the
 * log.
 */
const CARD = '4111 1111 1111 1111'
const logs: string[] = []
const runs: string[] = []

async function buildTestApp (): Promise<FastifyInstance> {
  const config = testConfig(await createTestDatabase(t))
  // trace: every line fastify writes about a request is looked at
  const requestLog = new RequestLog()
  const app = Fastify({ logger: { ...(loggerOptions('trace') as object), stream: { write: (line: string) => { logs.push(line) } } }, logController: requestLog })
  requestLog.attach(app.log)
  registerErrorHandling(app)
  await app.register(configPlugin, { config })
  await app.register(piiPlugin, { config })
  await app.register(databasePlugin, { url: config.databaseUrl, poolMax: config.databasePoolMax })
  await app.register(authPlugin, { keys: keyLookup })
  await app.register(cardGuard)
  await app.register(idempotency)

  const record = async (request: FastifyRequest) => {
    runs.push(request.routeOptions.url ?? '')
    return { accepted: true }
  }
  await app.register(async (v1) => {
    v1.addContentTypeParser('text/csv', (_request, payload, done) => { done(null, payload) })
    v1.post('/payments', {
      config: { idempotency: 'required' },
      schema: {
        headers: idempotencyHeaders(true),
        body: Type.Object({
          amount: Type.Integer(),
          note: Type.Optional(Type.String()),
          payer: Type.Optional(Type.Unknown())
        }, { additionalProperties: false })
      }
    }, async (request, reply) => await reply.code(201).send(await record(request)))
    v1.post('/echo', record)
    v1.post('/lookup', { config: { cardDataFormatted: [{ path: ['body', 'contractNumber'], format: 'contractNumber' }, { path: ['body', 'payer', 'email'], format: 'email' }] } }, record)
    v1.get('/search', { config: { cardDataFormatted: [{ path: ['query', 'contractNumber'], format: 'contractNumber' }] } }, record)
    v1.get('/things/:id', record)
    // a route's own preValidation hook runs after the guard
    v1.post('/hooked', { preValidation: (request, _reply, done) => { runs.push(`hook ${request.url}`); done() } }, record)
    v1.post('/callbacks/bank', record)
    v1.post('/imports', async (request) => {
      let text = ''
      for await (const chunk of request.body as Readable) text += String(chunk)
      runs.push('/v1/imports')
      return { bytes: text.length }
    })
  }, { prefix: '/v1' })
  app.post('/other/echo', record)

  t.teardown(async () => { await app.close() })
  await app.ready()
  return app
}

const app = await buildTestApp()

function refusedWithoutEcho (
  t: Test, response: { statusCode: number, body: string, headers: Record<string, unknown> }
): void {
  t.equal(response.statusCode, 400)
  t.match(response.headers['content-type'], /^application\/problem\+json/)
  t.match(JSON.parse(response.body), { code: 'card_data_forbidden', detail: /карт/ }) // Russian by default
  t.notMatch(response.body, /4111|1111/, 'the number is not echoed')
}

t.test('a card number anywhere in a JSON body is refused before validation and the handler', async (t) => {
  const before = runs.length
  const nested = await app.inject({
    method: 'POST',
    url: '/v1/echo',
    payload: { payer: { name: 'Иван', history: [{ note: 'x' }, { details: { value: `my card ${CARD} thanks` } }] } }
  })
  refusedWithoutEcho(t, nested)
  // the schema would refuse a string amount; the card is found first
  refusedWithoutEcho(t, await app.inject({ method: 'POST', url: '/v1/payments', payload: { amount: '4111-1111-1111-1111' }, headers: { 'idempotency-key': randomUUID() } }))
  refusedWithoutEcho(t, await app.inject({ method: 'POST', url: '/v1/payments', payload: { amount: 4111111111111111 }, headers: { 'idempotency-key': randomUUID() } }))
  refusedWithoutEcho(t, await app.inject({ method: 'POST', url: '/v1/echo', payload: { [CARD]: true } }))
  refusedWithoutEcho(t, await app.inject({ method: 'POST', url: '/v1/echo', payload: [1, 2, ['4111111111111111']] }))
  refusedWithoutEcho(t, await app.inject({ method: 'POST', url: '/v1/echo', headers: { 'content-type': 'text/plain' }, payload: `card ${CARD}` }))
  // the router decodes `%76` to `v`: the guard goes by the route, not the raw path
  refusedWithoutEcho(t, await app.inject({ method: 'POST', url: '/%761/echo', payload: { card: CARD } }))
  t.equal(runs.length, before, 'no handler ran')
  t.notOk(logs.some((line) => /4111|1111 1111/.test(line)), 'nothing logged the number')
  t.ok(logs.some((line) => line.includes('card_data_forbidden')), 'the refusal itself is logged, by code')
})

t.test('a card number in a query string or a path parameter is refused, and neither is logged', async (t) => {
  const before = runs.length
  const from = logs.length
  for (const url of [
    `/v1/search?q=${encodeURIComponent('card:4111 1111 1111 1111')}`,
    '/v1/search?q=4111.1111.1111.1111&page=2',
    '/v1/search?q=ok&q=4111/1111/1111/1111',
    `/v1/search?${encodeURIComponent('4111  1111--1111 1111')}=1`,
    `/v1/search?note=${encodeURIComponent('4111\u00A01111\u202F1111\u20071111')}`,
    '/v1/things/4111111111111111',
    `/v1/things/${encodeURIComponent('4111 1111 1111 1111')}`
  ]) {
    refusedWithoutEcho(t, await app.inject({ method: 'GET', url }))
  }
  t.equal(runs.length, before, 'no handler ran')
  const written = logs.slice(from)
  t.equal(written.filter((line) => line.includes('"msg":"request completed"') && line.includes('"statusCode":400')).length, 7, 'each request is logged once, with its status')
  t.notOk(written.some((line) => /4111|1111(%20|\s|\.)1111/.test(line)), 'neither the query nor the path with the number is logged')
})

t.test('a formatted field passes while it has its format, and nowhere else', async (t) => {
  const contract = '4111111111111111' // 16 Luhn-valid digits: a contract number here
  t.equal((await app.inject({ method: 'POST', url: '/v1/lookup', payload: { contractNumber: contract, iin: '871008401427' } })).statusCode, 200)
  t.equal((await app.inject({ method: 'POST', url: '/v1/lookup', payload: { contractNumber: `КД-${contract}`, payer: { email: `${contract}@mail.kz` } } })).statusCode, 200)
  t.equal((await app.inject({ method: 'GET', url: `/v1/search?contractNumber=${contract}` })).statusCode, 200)
  refusedWithoutEcho(t, await app.inject({ method: 'POST', url: '/v1/lookup', payload: { contractNumber: 'card: 4111 1111 1111 1111' } }))
  refusedWithoutEcho(t, await app.inject({ method: 'POST', url: '/v1/lookup', payload: { contractNumber: 'КД-1', note: contract } }))
  refusedWithoutEcho(t, await app.inject({ method: 'POST', url: '/v1/echo', payload: { contractNumber: contract } }))
  refusedWithoutEcho(t, await app.inject({ method: 'GET', url: `/v1/search?contract=${contract}` }))
  refusedWithoutEcho(t, await app.inject({ method: 'POST', url: '/v1/lookup', payload: { payer: { email: `${contract} thanks@mail.kz` } } }))
})

t.test('identifiers that are not card numbers pass', async (t) => {
  const response = await app.inject({
    method: 'POST',
    url: '/v1/payments',
    headers: { 'idempotency-key': randomUUID() },
    payload: { amount: 150000, note: 'IIN 871008401427, phone +7 701 234 56 78, contract КД-2024/0015, IBAN KZ86125KZT5004100100', payer: { iin: '871008401427', phone: '87012345678' } }
  })
  t.equal(response.statusCode, 201)
  t.equal((await app.inject({ method: 'POST', url: '/v1/echo' })).statusCode, 200, 'no body at all')
})

t.test('the guard comes before a route\'s own preValidation hooks, and guards a GET route\'s HEAD route too', async (t) => {
  const before = runs.length
  refusedWithoutEcho(t, await app.inject({ method: 'POST', url: '/v1/hooked', payload: { note: CARD } }))
  t.equal(runs.length, before, 'neither the route\'s hook nor its handler ran')
  t.equal((await app.inject({ method: 'POST', url: '/v1/hooked', payload: { note: 'fine' } })).statusCode, 200)
  t.same(runs.slice(before), ['hook /v1/hooked', '/v1/hooked'])
  t.equal((await app.inject({ method: 'HEAD', url: `/v1/things/${encodeURIComponent(CARD)}` })).statusCode, 400)
  t.equal((await app.inject({ method: 'HEAD', url: '/v1/things/42' })).statusCode, 200)
})

t.test('the bank callbacks, other paths and streamed uploads are not inspected', async (t) => {
  const callback = await app.inject({ method: 'POST', url: '/v1/callbacks/bank', payload: { pg_card_pan: '4111-11XX-XXXX-1111', probe: '4111111111111111' } })
  t.equal(callback.statusCode, 200)
  t.equal((await app.inject({ method: 'POST', url: '/other/echo', payload: { card: CARD } })).statusCode, 200)
  const upload = await app.inject({ method: 'POST', url: '/v1/imports', headers: { 'content-type': 'text/csv' }, payload: `a,b\n${CARD},1\n` })
  t.same(JSON.parse(upload.body), { bytes: 26 }, 'the stream reaches its handler unread')
  const missing = await app.inject({ method: 'POST', url: '/v1/no-such-route', payload: { card: CARD } })
  t.equal(missing.statusCode, 404)
  t.notMatch(missing.body, /4111/)
})

t.test('a request refused for card data never claims its idempotency key', async (t) => {
  const key = randomUUID()
  const before = runs.length
  refusedWithoutEcho(t, await app.inject({ method: 'POST', url: '/v1/payments', headers: { 'idempotency-key': key }, payload: { amount: 100, note: CARD } }))
  const { rows } = await sql`select 1 from idempotency_keys where key = ${key}`.execute(app.db)
  t.equal(rows.length, 0, 'nothing stored')
  const clean = await app.inject({ method: 'POST', url: '/v1/payments', headers: { 'idempotency-key': key }, payload: { amount: 100, note: 'no card here' } })
  t.equal(clean.statusCode, 201)
  t.equal(clean.headers['idempotent-replayed'], undefined)
  t.equal(runs.length, before + 1)
})


const SEPARATORS = [' ', '-', '.', '/', '\u00A0', '\u2007', '\u202F', '\u2013']
const writtenPan = fc.tuple(
  fc.integer({ min: 13, max: 19 }),
  fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 18, maxLength: 18 }),
  fc.integer({ min: 1, max: 6 }),
  fc.array(fc.constantFrom(...SEPARATORS), { minLength: 1, maxLength: 2 })
)
  .map(([length, digits, groupSize, separator]) => {
    const payload = digits.slice(0, length - 1).join('')
    const pan = payload + luhnCheckDigit(payload)
    return (pan.match(new RegExp(`.{1,${groupSize}}`, 'g')) as string[]).join(separator.join(''))
  })
const words = fc.array(fc.constantFrom('оплата', 'card', 'номер', 'thanks', 'Иван', '№', 'exp'), { maxLength: 3 }).map((w) => w.join(' '))

t.test('over HTTP: any written card number in a body or a query string is refused', async () => {
  await fc.assert(fc.asyncProperty(words, writtenPan, words, fc.boolean(), async (before, card, after, inQuery) => {
    const text = `${before} ${card} ${after}`
    const response = inQuery
      ? await app.inject({ method: 'GET', url: `/v1/search?q=${encodeURIComponent(text)}` })
      : await app.inject({ method: 'POST', url: '/v1/echo', payload: { payer: { note: text } } })
    return response.statusCode === 400 && response.json().code === 'card_data_forbidden'
  }), { seed: 42, numRuns: 100 })
})

t.test('over HTTP: legitimate values pass, a Luhn-valid contract number in its field included', async () => {
  const contract = fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 15, maxLength: 15 }).map((d) => { const p = d.join(''); return p + luhnCheckDigit(p) })
  const id = fc.stringMatching(/^[0-9a-f]{32}$/).map((hex) => `acc_${hex}`)
  const phone = fc.stringMatching(/^7[0-9]{9}$/).map((rest) => `+7 ${rest.slice(0, 3)} ${rest.slice(3, 6)} ${rest.slice(6, 8)} ${rest.slice(8)}`)
  await fc.assert(fc.asyncProperty(contract, id, phone, fc.stringMatching(/^[0-9]{12}$/), async (contractNumber, acceptanceId, phoneNumber, iin) => {
    const body = await app.inject({ method: 'POST', url: '/v1/lookup', payload: { contractNumber, iin, acceptanceId, payer: { phone: phoneNumber, email: `${contractNumber}@mail.kz` }, iban: 'KZ86 125K ZT50 0410 0100' } })
    const query = await app.inject({ method: 'GET', url: `/v1/search?contractNumber=${contractNumber}&id=${acceptanceId}&iin=${iin}&phone=${encodeURIComponent(phoneNumber)}` })
    return body.statusCode === 200 && query.statusCode === 200
  }), { seed: 42, numRuns: 100 })
})
