import { randomUUID } from 'node:crypto'
import { EventEmitter, once } from 'node:events'
import { Readable } from 'node:stream'
import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest, type LightMyRequestResponse } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { Type, type Static } from '@sinclair/typebox'
import { sql } from 'kysely'
import databasePlugin from '../../src/db/plugin.js'
import { configPlugin, piiPlugin } from '../../src/app-context.js'
import authPlugin from '../../src/http/auth.js'
import { keyLookup } from '../../src/modules/api-keys/service.js'
import cardGuard from '../../src/http/card-guard.js'
import idempotency, { IDEMPOTENCY_PROBLEM_CODES, idempotencyHeaders, purgeExpiredIdempotencyKeys } from '../../src/http/idempotency.js'
import { BadGateway, Unprocessable, registerErrorHandling } from '../../src/http/errors.js'
import { buildValidator } from '../../src/http/validation.js'
import { SHARED_SCHEMAS } from '../../src/http/schemas.js'
import { fromPublicId } from '../../src/lib/ids.js'
import { createKey, createTestDatabase, testConfig } from '../helpers/app.js'

/**
 * The idempotency layer on a small app of its own: real Postgres, the real
 * auth, card guard and error handling, and test routes that count how often
 * their handler really ran.
 */
const logs: string[] = []
const runs = new Map<string, number>()
/**
 * A request known to be in flight, without a sleep: a handler announces each run and waits at its gate, if its
 * label has one, until the test opens it.
 */
const arrivals = new EventEmitter()
const gates = new Map<string, Promise<void>>()
async function runStarted (name: string, run: number): Promise<void> {
  while ((runs.get(name) ?? 0) < run) await once(arrivals, 'run')
}
function gate (name: string): () => void {
  let open = (): void => {}
  gates.set(name, new Promise<void>((resolve) => { open = resolve }))
  return () => { open() }
}

const ThingBody = Type.Object({
  label: Type.String(),
  note: Type.Optional(Type.String()),
  waitMs: Type.Optional(Type.Integer({ minimum: 0, maximum: 2000 })),
  outcome: Type.Optional(Type.Union(['refused', 'crash', 'crash-once', 'bank', 'gateway', 'gateway-text', 'stream', 'buffer', 'nul', 'unstorable', 'empty'].map((o) => Type.Literal(o))))
}, { additionalProperties: false })

async function buildTestApp (): Promise<FastifyInstance> {
  const config = testConfig(await createTestDatabase(t))
  const app = Fastify({ logger: { level: 'warn', stream: { write: (line: string) => { logs.push(line) } } }, schemaController: { compilersFactory: { buildValidator: buildValidator as never } } }).withTypeProvider<TypeBoxTypeProvider>()
  for (const schema of SHARED_SCHEMAS) app.addSchema(schema)
  registerErrorHandling(app)
  await app.register(configPlugin, { config })
  await app.register(piiPlugin, { config })
  await app.register(databasePlugin, { url: config.databaseUrl, poolMax: config.databasePoolMax })
  await app.register(authPlugin, { keys: keyLookup })
  await app.register(cardGuard)
  await app.register(idempotency)

  await app.register(async (v1) => {
    const handler = async (request: FastifyRequest, reply: FastifyReply) => {
      const { label, waitMs, outcome } = request.body as Static<typeof ThingBody>
      const run = (runs.get(label) ?? 0) + 1
      runs.set(label, run)
      arrivals.emit('run', label)
      await gates.get(label)
      if (waitMs !== undefined) await sleep(waitMs)
      switch (outcome) {
        case 'refused': throw new Unprocessable('thing_refused', `refused on run ${run}`)
        case 'crash': throw new Error('boom')
        case 'crash-once': if (run === 1) throw new Error('boom'); break
        case 'bank': throw new BadGateway('bank_unavailable', 'The bank did not answer; the payment is recorded as failed')
        case 'gateway': throw new BadGateway('bank_confused', 'The bank answered nonsense')
        case 'gateway-text': return reply.code(502).type('text/plain').send('upstream trouble')
        case 'empty': return reply.code(204).send()
        case 'stream': return reply.type('text/plain').send(Readable.from([`streamed ${run}`]))
        case 'buffer': return reply.type('application/octet-stream').send(Buffer.from(`bytes ${run}`))
        // Postgres text cannot hold NUL, but the stored answer is encrypted: it is kept
        case 'nul': return reply.type('text/plain').send(`a\u0000b ${run}`)
        // the test makes the database refuse to store a 203
        case 'unstorable': return reply.code(203).type('text/plain').send(`kept nowhere ${run}`)
      }
      return reply.code(201).send({ label, run, nonce: randomUUID() })
    }
    v1.post('/things', { config: { idempotency: 'required' }, schema: { headers: idempotencyHeaders(true), body: ThingBody } }, handler)
    v1.post('/optional-things', { config: { idempotency: 'optional' }, schema: { headers: idempotencyHeaders(false), body: ThingBody } }, handler)
    v1.post('/admin/things', { config: { idempotency: 'required' }, preHandler: v1.requireScopes('operator'), schema: { body: ThingBody } }, handler)
    v1.post('/plain-things', { schema: { body: ThingBody } }, handler)
    // a GET gets a HEAD route from the same options: the hooks must not be added twice
    v1.get('/things/:label', { config: { idempotency: 'optional' } }, async () => ({ ok: true }))
  }, { prefix: '/v1' })

  t.teardown(async () => { await app.close() })
  await app.ready()
  return app
}

const app = await buildTestApp()

function post (
  url: string, body: Record<string, unknown>, headers: Record<string, string> = {}
): Promise<LightMyRequestResponse> {
  return app.inject({ method: 'POST', url, payload: body, headers })
}

function label (): string {
  return `thing-${randomUUID()}`
}

async function keyRow (key: string) {
  const { rows } = await sql<{ principal: string, status: string, response_status: number | null, response_content_type: string | null, lifetime: string }>`
    select principal, status, response_status, response_content_type, (expires_at - created_at)::text as lifetime
    from idempotency_keys where key = ${key} order by principal`.execute(app.db)
  return rows
}

t.test('a retry with the same key and request replays the first answer without running again', async (t) => {
  const key = randomUUID()
  const name = label()
  const first = await post('/v1/things', { label: name, note: 'a', outcome: undefined }, { 'idempotency-key': key })
  t.equal(first.statusCode, 201)
  t.equal(first.headers['idempotent-replayed'], undefined)
  const second = await post('/v1/things', { note: 'a', label: name }, { 'idempotency-key': key })
  t.equal(second.statusCode, 201)
  t.equal(second.body, first.body, 'byte for byte, keys in another order are the same request')
  t.equal(second.headers['idempotent-replayed'], 'true')
  t.equal(second.headers['content-type'], first.headers['content-type'])
  t.equal(runs.get(name), 1)
  t.match(await keyRow(key), [{ principal: 'public', status: 'completed', response_status: 201, response_content_type: /^application\/json/, lifetime: '1 day' }])
})

t.test('the same key with a different request is refused with 422', async (t) => {
  const key = randomUUID()
  const name = label()
  t.equal((await post('/v1/things', { label: name }, { 'idempotency-key': key })).statusCode, 201)
  const otherBody = await post('/v1/things', { label: name, note: 'changed' }, { 'idempotency-key': key })
  t.equal(otherBody.statusCode, 422)
  t.match(JSON.parse(otherBody.body), { code: 'idempotency_key_reused' })
  t.equal(otherBody.headers['idempotent-replayed'], undefined)
  const otherQuery = await post('/v1/things?x=1', { label: name }, { 'idempotency-key': key })
  t.match(JSON.parse(otherQuery.body), { status: 422, code: 'idempotency_key_reused' }, 'the path with its query is part of the request')
  const otherRoute = await post('/v1/optional-things', { label: name }, { 'idempotency-key': key })
  t.equal(otherRoute.statusCode, 422)
  t.equal(runs.get(name), 1)
  t.equal((await post('/v1/things', { label: name }, { 'idempotency-key': key })).statusCode, 201, 'the first request still replays')
})

t.test('a required key must be present and well formed', async (t) => {
  const name = label()
  const missing = await post('/v1/things', { label: name })
  t.equal(missing.statusCode, 400)
  t.match(JSON.parse(missing.body), { code: 'idempotency_key_required' })
  for (const bad of ['x'.repeat(256), 'ключ']) {
    const malformed = await app.inject({ method: 'POST', url: '/v1/things', payload: { label: name }, headers: { 'idempotency-key': Buffer.from(bad).toString('latin1') } })
    t.equal(malformed.statusCode, 400)
    t.match(JSON.parse(malformed.body), { code: 'invalid_idempotency_key' })
  }
  const empty = await post('/v1/optional-things', { label: name }, { 'idempotency-key': '' })
  t.match(JSON.parse(empty.body), { status: 400, code: 'invalid_idempotency_key' }, 'an optional key, once sent, must be valid too')
  t.equal(runs.get(name), undefined)
  t.equal((await post('/v1/things', { label: name }, { 'idempotency-key': 'x'.repeat(255) })).statusCode, 201, '255 characters are fine')
})

t.test('an optional key: without it every request runs, with it retries replay', async (t) => {
  const name = label()
  t.equal((await post('/v1/optional-things', { label: name })).statusCode, 201)
  t.equal((await post('/v1/optional-things', { label: name })).statusCode, 201)
  t.equal(runs.get(name), 2)
  const key = randomUUID()
  const first = await post('/v1/optional-things', { label: name }, { 'idempotency-key': key })
  const retry = await post('/v1/optional-things', { label: name }, { 'idempotency-key': key })
  t.equal(retry.body, first.body)
  t.equal(runs.get(name), 3)
  const plain = await post('/v1/plain-things', { label: name }, { 'idempotency-key': key })
  t.equal(plain.statusCode, 201, 'a route that did not opt in ignores the header')
  t.equal((await app.inject({ method: 'HEAD', url: '/v1/things/x' })).statusCode, 200)
})

t.test('identical requests at the same moment run the handler once', async (t) => {
  const key = randomUUID()
  const name = label()
  const responses = await Promise.all(Array.from({ length: 5 }, async () =>
    await post('/v1/things', { label: name, waitMs: 300 }, { 'idempotency-key': key })))
  t.equal(runs.get(name), 1)
  const created = responses.filter((r) => r.statusCode === 201 && r.headers['idempotent-replayed'] === undefined)
  t.equal(created.length, 1, 'exactly one ran')
  for (const other of responses.filter((r) => r !== created[0])) {
    if (other.statusCode === 409) {
      t.match(JSON.parse(other.body), { code: 'idempotency_key_in_use' })
    } else {
      t.equal(other.headers['idempotent-replayed'], 'true')
      t.equal(other.body, created[0]?.body)
    }
  }
  const later = await post('/v1/things', { label: name, waitMs: 300 }, { 'idempotency-key': key })
  t.equal(later.body, created[0]?.body)
  t.equal(later.headers['idempotent-replayed'], 'true')
})

t.test('a different request while the first is in flight is still a reused key', async (t) => {
  const key = randomUUID()
  const name = label()
  const open = gate(name)
  const slow = post('/v1/things', { label: name }, { 'idempotency-key': key })
  await runStarted(name, 1)
  const other = await post('/v1/things', { label: name, note: 'other' }, { 'idempotency-key': key })
  t.equal(other.statusCode, 422)
  open()
  t.equal((await slow).statusCode, 201)
})

t.test('a server error releases the key so the retry runs again', async (t) => {
  const key = randomUUID()
  const name = label()
  const failed = await post('/v1/things', { label: name, outcome: 'crash-once' }, { 'idempotency-key': key })
  t.equal(failed.statusCode, 500)
  t.same(await keyRow(key), [], 'nothing kept')
  const retry = await post('/v1/things', { label: name, outcome: 'crash-once' }, { 'idempotency-key': key })
  t.equal(retry.statusCode, 201)
  t.equal(retry.headers['idempotent-replayed'], undefined)
  t.equal(runs.get(name), 2)

  const gatewayKey = randomUUID()
  const gateway = label()
  t.equal((await post('/v1/things', { label: gateway, outcome: 'gateway' }, { 'idempotency-key': gatewayKey })).statusCode, 502)
  t.equal((await post('/v1/things', { label: gateway, outcome: 'gateway' }, { 'idempotency-key': gatewayKey })).statusCode, 502)
  t.equal(runs.get(gateway), 2, 'a 502 other than bank_unavailable is released too')
  const textKey = randomUUID()
  const text = label()
  t.equal((await post('/v1/things', { label: text, outcome: 'gateway-text' }, { 'idempotency-key': textKey })).statusCode, 502)
  t.equal((await post('/v1/things', { label: text, outcome: 'gateway-text' }, { 'idempotency-key': textKey })).statusCode, 502)
  t.equal(runs.get(text), 2, 'so is one that is not a problem document')
})

t.test('business refusals and bank_unavailable are final answers and replay', async (t) => {
  for (const [outcome, status, code] of [['refused', 422, 'thing_refused'], ['bank', 502, 'bank_unavailable']] as const) {
    const key = randomUUID()
    const name = label()
    const first = await post('/v1/things', { label: name, outcome }, { 'idempotency-key': key })
    t.equal(first.statusCode, status)
    t.match(JSON.parse(first.body), { code })
    const retry = await post('/v1/things', { label: name, outcome }, { 'idempotency-key': key })
    t.equal(retry.statusCode, status)
    t.equal(retry.body, first.body, 'the stored problem, with the first request id')
    t.equal(retry.headers['content-type'], 'application/problem+json; charset=utf-8')
    t.equal(retry.headers['idempotent-replayed'], 'true')
    t.equal(runs.get(name), 1, outcome)
  }
})

t.test('keys belong to their principal', async (t) => {
  const alice = await createKey(app, ['operator'], 'alice')
  const bob = await createKey(app, ['operator'], 'bob')
  const key = randomUUID()
  const name = label()
  const asAlice = await post('/v1/admin/things', { label: name }, { 'idempotency-key': key, authorization: alice.authorization })
  const asBob = await post('/v1/admin/things', { label: name }, { 'idempotency-key': key, authorization: bob.authorization })
  const asPublic = await post('/v1/things', { label: name, note: 'anonymous' }, { 'idempotency-key': key })
  t.same([asAlice.statusCode, asBob.statusCode, asPublic.statusCode], [201, 201, 201])
  t.equal(runs.get(name), 3)
  t.match(JSON.parse(asBob.body), { run: 2 })
  const aliceAgain = await post('/v1/admin/things', { label: name }, { 'idempotency-key': key, authorization: alice.authorization })
  t.equal(aliceAgain.body, asAlice.body, 'each replays its own answer')
  t.same((await keyRow(key)).map((r) => r.principal), [`key:${fromPublicId('apiKey', alice.id) ?? ''}`, `key:${fromPublicId('apiKey', bob.id) ?? ''}`, 'public'].sort())
})

t.test('a request refused by auth or validation never claims the key', async (t) => {
  const operator = await createKey(app, ['operator'])
  const partner = await createKey(app, ['partner'])
  const key = randomUUID()
  const name = label()
  const anonymous = await post('/v1/admin/things', { label: name }, { 'idempotency-key': key })
  t.equal(anonymous.statusCode, 401)
  const wrongScope = await post('/v1/admin/things', { label: name }, { 'idempotency-key': key, authorization: partner.authorization })
  t.equal(wrongScope.statusCode, 403)
  const invalid = await post('/v1/admin/things', { label: 42 }, { 'idempotency-key': key, authorization: operator.authorization })
  t.match(JSON.parse(invalid.body), { status: 400, code: 'validation_failed' })
  t.same(await keyRow(key), [])
  const authorised = await post('/v1/admin/things', { label: name }, { 'idempotency-key': key, authorization: operator.authorization })
  t.equal(authorised.statusCode, 201)
  t.equal(authorised.headers['idempotent-replayed'], undefined)
  t.equal(runs.get(name), 1)
})

t.test('an expired key is treated as absent and may be reused', async (t) => {
  const key = randomUUID()
  const name = label()
  t.equal((await post('/v1/things', { label: name }, { 'idempotency-key': key })).statusCode, 201)
  await sql`update idempotency_keys set created_at = now() - interval '25 hours', expires_at = now() - interval '1 hour' where key = ${key}`.execute(app.db)
  const fresh = await post('/v1/things', { label: name, note: 'a new operation' }, { 'idempotency-key': key })
  t.equal(fresh.statusCode, 201)
  t.equal(fresh.headers['idempotent-replayed'], undefined)
  t.equal(runs.get(name), 2)
  t.match(await keyRow(key), [{ status: 'completed', lifetime: '1 day' }], 'a fresh 24 h')
})

t.test('a claim that never finished is abandoned after 2 minutes and taken over', async (t) => {
  const key = randomUUID()
  const name = label()
  const open = gate(name)
  const stuck = post('/v1/things', { label: name }, { 'idempotency-key': key })
  await runStarted(name, 1)
  t.equal((await post('/v1/things', { label: name }, { 'idempotency-key': key })).statusCode, 409, 'in use while young')
  await sql`update idempotency_keys set locked_at = locked_at - interval '3 minutes' where key = ${key}`.execute(app.db)
  const takeover = post('/v1/things', { label: name }, { 'idempotency-key': key })
  // both are in their handlers: the old one then answers first, after the new one has taken the key
  await runStarted(name, 2)
  open()
  const late = await stuck
  const taken = await takeover
  t.equal(late?.statusCode, 201, 'the old request still answers its own client')
  t.equal(taken?.statusCode, 201)
  t.equal(runs.get(name), 2)
  const retry = await post('/v1/things', { label: name }, { 'idempotency-key': key })
  t.equal(retry.body, taken?.body, 'the claim that took over owns the key: the late answer did not overwrite it')
  t.not(retry.body, late?.body)
})

t.test('an abandoned claim may be taken over by another request', async (t) => {
  const key = randomUUID()
  const name = label()
  await sql`insert into idempotency_keys (principal, key, request_hash, status, locked_at, expires_at)
    values ('public', ${key}, ${'0'.repeat(64)}, 'in_flight', now() - interval '3 minutes', now() + interval '1 day')`.execute(app.db)
  const response = await post('/v1/things', { label: name }, { 'idempotency-key': key })
  t.equal(response.statusCode, 201)
  t.equal(runs.get(name), 1)
})

t.test('stored answers are encrypted at rest; one stored in clear before that is still replayed', async (t) => {
  const key = randomUUID()
  const name = label()
  const first = await post('/v1/things', { label: name }, { 'idempotency-key': key })
  const { rows } = await sql<{ body: string }>`select response_body as body from idempotency_keys where key = ${key}`.execute(app.db)
  t.notOk(rows[0]?.body.includes(name), 'nothing of the answer in clear')
  t.equal(app.pii.decrypt(rows[0]?.body ?? ''), first.body)

  // A row written by the previous version: plain JSON, replayed as it is until it expires.
  await sql`update idempotency_keys set response_body = ${first.body} where key = ${key}`.execute(app.db)
  const replay = await post('/v1/things', { label: name }, { 'idempotency-key': key })
  t.equal(replay.body, first.body)
  t.equal(replay.headers['idempotent-replayed'], 'true')
  t.equal(runs.get(name), 1)
})

t.test('a fresh in-flight claim of the same request answers 409', async (t) => {
  const key = randomUUID()
  const name = label()
  const open = gate(name)
  const slow = post('/v1/things', { label: name }, { 'idempotency-key': key })
  await runStarted(name, 1)
  const busy = await post('/v1/things', { label: name }, { 'idempotency-key': key })
  t.equal(busy.statusCode, 409)
  t.match(JSON.parse(busy.body), { code: 'idempotency_key_in_use', detail: String })
  open()
  t.equal((await slow).statusCode, 201)
  t.ok(IDEMPOTENCY_PROBLEM_CODES.includes('idempotency_key_in_use'))
})

t.test('answers that cannot be kept', async (t) => {
  const bytesKey = randomUUID()
  const bytes = label()
  const first = await post('/v1/things', { label: bytes, outcome: 'buffer' }, { 'idempotency-key': bytesKey })
  const retry = await post('/v1/things', { label: bytes, outcome: 'buffer' }, { 'idempotency-key': bytesKey })
  t.equal(retry.body, first.body, 'a text buffer is kept as text')
  t.equal(retry.headers['content-type'], 'application/octet-stream')

  const emptyKey = randomUUID()
  const empty = label()
  const noContent = await post('/v1/things', { label: empty, outcome: 'empty' }, { 'idempotency-key': emptyKey })
  const noContentAgain = await post('/v1/things', { label: empty, outcome: 'empty' }, { 'idempotency-key': emptyKey })
  t.same([noContent.statusCode, noContentAgain.statusCode, noContentAgain.body], [204, 204, ''])
  t.equal(noContentAgain.headers['content-type'], noContent.headers['content-type'])
  t.equal(noContentAgain.headers['idempotent-replayed'], 'true')
  t.equal(runs.get(empty), 1)

  const streamKey = randomUUID()
  const streamed = label()
  t.equal((await post('/v1/things', { label: streamed, outcome: 'stream' }, { 'idempotency-key': streamKey })).body, 'streamed 1')
  t.equal((await post('/v1/things', { label: streamed, outcome: 'stream' }, { 'idempotency-key': streamKey })).body, 'streamed 2', 'a stream is released')
  t.ok(logs.some((line) => line.includes('cannot be replayed')))

  // Stored answers are encrypted at rest: even one Postgres text could not hold is kept.
  const nulKey = randomUUID()
  const nul = label()
  t.equal((await post('/v1/things', { label: nul, outcome: 'nul' }, { 'idempotency-key': nulKey })).body, 'a\u0000b 1')
  const nulAgain = await post('/v1/things', { label: nul, outcome: 'nul' }, { 'idempotency-key': nulKey })
  t.equal(nulAgain.body, 'a\u0000b 1', 'an answer holding NUL is replayed')
  t.equal(nulAgain.headers['idempotent-replayed'], 'true')

  // The operation happened: its answer reaches the client even when storing it fails.
  await sql`alter table idempotency_keys add constraint test_refuses_203 check (response_status is distinct from 203)`.execute(app.db)
  t.teardown(async () => { await sql`alter table idempotency_keys drop constraint test_refuses_203`.execute(app.db) })
  const lostKey = randomUUID()
  const lost = label()
  const delivered = await post('/v1/things', { label: lost, outcome: 'unstorable' }, { 'idempotency-key': lostKey })
  t.equal(delivered.statusCode, 203)
  t.equal(delivered.body, 'kept nowhere 1')
  t.ok(logs.some((line) => line.includes('could not store the idempotent response')))
  t.match(await keyRow(lostKey), [{ status: 'in_flight' }], 'left to be abandoned')
})

t.test('purging deletes expired keys only', async (t) => {
  const keep = randomUUID()
  const drop = randomUUID()
  await post('/v1/things', { label: label() }, { 'idempotency-key': keep })
  await post('/v1/things', { label: label() }, { 'idempotency-key': drop })
  await sql`update idempotency_keys set created_at = now() - interval '2 days', expires_at = now() - interval '1 day' where key = ${drop}`.execute(app.db)
  t.ok(await purgeExpiredIdempotencyKeys(app.db) >= 1)
  t.same(await keyRow(drop), [])
  t.equal((await keyRow(keep)).length, 1)
  t.equal(await purgeExpiredIdempotencyKeys(app.db), 0)
})

t.test('the header is documented for OpenAPI', async (t) => {
  const required = idempotencyHeaders(true)
  t.same(required.required, ['idempotency-key'])
  t.equal(required.additionalProperties, true)
  t.match(required.properties['idempotency-key'].description, /Idempotent-Replayed: true/)
  t.equal(idempotencyHeaders(false).required, undefined)
})

t.test('a route with a wrong idempotency mode does not start', async (t) => {
  const bad = Fastify()
  const config = testConfig(await createTestDatabase(t))
  await bad.register(piiPlugin, { config })
  await bad.register(databasePlugin, { url: config.databaseUrl, poolMax: config.databasePoolMax })
  await bad.register(idempotency)
  t.throws(() => bad.post('/x', { config: { idempotency: 'always' as 'required' } }, async () => ({})), /must be 'required' or 'optional'/)
  await bad.close()
})
