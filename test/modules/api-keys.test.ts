import t from 'tap'
import pg from 'pg'
import { createKey, createTestApp } from '../helpers/app.js'
import { ensureAdminKey } from '../../src/modules/api-keys/service.js'

const { app, databaseUrl } = await createTestApp(t)
const admin = await createKey(app, ['admin'])
const operator = await createKey(app, ['operator'])

t.test('no key, a malformed header or an unknown key: 401 unauthenticated', async (t) => {
  for (const authorization of [undefined, 'Basic abc', 'Bearer kap_thisKeyDoesNotExistAnywhere123']) {
    const response = await app.inject({ method: 'GET', url: '/v1/admin/api-keys', headers: authorization === undefined ? {} : { authorization } })
    t.equal(response.statusCode, 401, String(authorization))
    t.equal(response.json().code, 'unauthenticated')
  }
})

t.test('a key without the scope: 403 forbidden', async (t) => {
  const response = await app.inject({ method: 'GET', url: '/v1/admin/api-keys', headers: { authorization: operator.authorization } })
  t.equal(response.statusCode, 403)
  t.equal(response.json().code, 'forbidden')
  const partner = await createKey(app, ['partner'])
  const audit = await app.inject({ method: 'GET', url: '/v1/admin/audit-log', headers: { authorization: partner.authorization } })
  t.equal(audit.statusCode, 403, 'a partner may not read the audit log')
  const allowed = await app.inject({ method: 'GET', url: '/v1/admin/audit-log', headers: { authorization: operator.authorization } })
  t.equal(allowed.statusCode, 200, 'an operator may')
})

t.test('an admin creates a key that is shown once and works at once', async (t) => {
  const created = await app.inject({ method: 'POST', url: '/v1/admin/api-keys', headers: { authorization: admin.authorization }, payload: { name: 'Operator Aigerim', scopes: ['operator'] } })
  t.equal(created.statusCode, 201)
  const body = created.json()
  t.match(body, { id: /^key_[0-9a-f]{32}$/, name: 'Operator Aigerim', scopes: ['operator'], key: /^kap_[A-Za-z0-9_-]{43}$/, revokedAt: null })
  t.equal(body.prefix, body.key.slice(0, 10))

  const client = new pg.Client({ connectionString: databaseUrl })
  await client.connect()
  const stored = await client.query('select key_hash from api_keys where name = $1', ['Operator Aigerim'])
  await client.end()
  t.not(stored.rows[0].key_hash, body.key, 'only a hash is stored')
  t.match(stored.rows[0].key_hash, /^[0-9a-f]{64}$/)

  const use = await app.inject({ method: 'GET', url: '/v1/admin/audit-log', headers: { authorization: `Bearer ${body.key}` } })
  t.equal(use.statusCode, 200)

  const list = await app.inject({ method: 'GET', url: '/v1/admin/api-keys?limit=100', headers: { authorization: admin.authorization } })
  t.equal(list.statusCode, 200)
  t.ok(list.json().data.some((k: { id: string }) => k.id === body.id))
  t.notMatch(list.body, body.key, 'a listing never shows a key value')
})

t.test('a revoked key stops working at once', async (t) => {
  const victim = await createKey(app, ['operator'])
  const before = await app.inject({ method: 'GET', url: '/v1/admin/audit-log', headers: { authorization: victim.authorization } })
  t.equal(before.statusCode, 200)
  const revoked = await app.inject({ method: 'DELETE', url: `/v1/admin/api-keys/${victim.id}`, headers: { authorization: admin.authorization } })
  t.equal(revoked.statusCode, 200)
  t.match(revoked.json().revokedAt, /^\d{4}-/)
  const after = await app.inject({ method: 'GET', url: '/v1/admin/audit-log', headers: { authorization: victim.authorization } })
  t.equal(after.statusCode, 401)
  t.equal(after.json().code, 'unauthenticated')
  const again = await app.inject({ method: 'DELETE', url: `/v1/admin/api-keys/${victim.id}`, headers: { authorization: admin.authorization } })
  t.equal(again.json().revokedAt, revoked.json().revokedAt, 'revoking twice keeps the first time')
  const unknown = await app.inject({ method: 'DELETE', url: '/v1/admin/api-keys/key_00000000000000000000000000000000', headers: { authorization: admin.authorization } })
  t.equal(unknown.statusCode, 404)
  t.equal(unknown.json().code, 'api_key_not_found')
})

t.test('pagination walks every key exactly once', async (t) => {
  for (let i = 0; i < 5; i++) await createKey(app, ['partner'], `partner ${i}`)
  const seen: string[] = []
  let cursor: string | null = null
  do {
    const url: string = `/v1/admin/api-keys?limit=2${cursor === null ? '' : `&startingAfter=${cursor}`}`
    const page = (await app.inject({ method: 'GET', url, headers: { authorization: admin.authorization } })).json()
    t.ok(page.data.length <= 2)
    seen.push(...page.data.map((k: { id: string }) => k.id))
    cursor = page.hasMore === true ? page.nextCursor : null
  } while (cursor !== null)
  t.equal(new Set(seen).size, seen.length, 'no key twice')
  t.ok(seen.length >= 8)
})

/** The status GET /v1/admin/api-keys answers a key value with: 200 live, 401 revoked or unknown. */
async function answerTo (value: string): Promise<number> {
  const headers = { authorization: `Bearer ${value}` }
  return (await app.inject({ method: 'GET', url: '/v1/admin/api-keys', headers })).statusCode
}

async function adminGet (url: string): Promise<any> {
  return (await app.inject({ method: 'GET', url, headers: { authorization: admin.authorization } })).json()
}

async function auditOf (entityId: string): Promise<Array<{ action: string, requestId: string }>> {
  return (await adminGet(`/v1/admin/audit-log?entityType=api_key&entityId=${entityId}`)).data
}

const A = 'compose-admin-key-with-at-least-32-characters'
const B = 'rotated-admin-key-with-at-least-32-characters'

t.test('ADMIN_API_KEY: an admin key with exactly that value exists after start, once', async (t) => {
  const first = await ensureAdminKey(app.db, A)
  t.match(first, { kind: 'created', id: /^key_/, revoked: [] })
  t.same(await ensureAdminKey(app.db, A), { kind: 'current', id: first.id, revoked: [] }, 'a restart changes nothing')
  t.equal(await answerTo(A), 200)
  const keys: Array<{ name: string }> = (await adminGet('/v1/admin/api-keys?limit=100')).data
  t.equal(keys.filter((k) => k.name === 'ADMIN_API_KEY').length, 1, 'one record')
  const audit = await auditOf(first.id)
  t.equal(audit.length, 1)
  t.match(audit, [{ action: 'api_key.ensured', requestId: 'startup' }], 'its making audit-logged, once')
})

t.test('a new ADMIN_API_KEY value revokes the previous key, audit-logged; issued keys are never touched', async (t) => {
  const issued = await createKey(app, ['admin'], 'ADMIN_API_KEY') // issued through the API, whatever its name
  const previous = await ensureAdminKey(app.db, A)
  const rotated = await ensureAdminKey(app.db, B)
  t.match(rotated, { kind: 'created', revoked: [previous.id] }, 'B: its key, and A\'s revoked in the same transaction')
  t.equal(await answerTo(A), 401, 'A stops working at once')
  t.equal(await answerTo(B), 200, 'B works')
  t.equal(await answerTo(issued.key), 200, 'a key issued through the API, even named ADMIN_API_KEY, is untouched')
  t.match(await auditOf(previous.id), [
    { action: 'api_key.revoked', details: { reason: 'ADMIN_API_KEY changed', replacedBy: rotated.id } },
    { action: 'api_key.ensured' }
  ], 'the revocation is in the audit log, naming what replaced it')

  t.same(await ensureAdminKey(app.db, A), { kind: 'revoked', id: previous.id }, 'a process still on A changes nothing')
  t.equal(await answerTo(A), 401, 'A is never re-enabled')
  t.equal(await answerTo(B), 200, 'and B is not undone')
  t.same(await ensureAdminKey(app.db, B), { kind: 'current', id: rotated.id, revoked: [] }, 'a restart on B: no change')
  t.same(await ensureAdminKey(app.db, issued.key), { kind: 'issued', id: issued.id }, 'an issued key is not taken over')
  t.equal(await answerTo(B), 200)
  t.equal(await answerTo(issued.key), 200)
})

t.test('every authenticated mutation is in the audit log, which cannot be changed', async (t) => {
  // a partner key names a creditor on record (DESIGN 18)
  await app.inject({ method: 'POST', url: '/v1/admin/creditors', headers: { authorization: admin.authorization }, payload: { name: 'АО «Банк»' } })
  const created = await app.inject({ method: 'POST', url: '/v1/admin/api-keys', headers: { authorization: admin.authorization, 'x-request-id': 'audit-test-1' }, payload: { name: 'audited', scopes: ['partner'], creditors: ['АО «Банк»'] } })
  const log = await app.inject({ method: 'GET', url: `/v1/admin/audit-log?entityType=api_key&entityId=${created.json().id}`, headers: { authorization: admin.authorization } })
  t.match(log.json().data, [{ action: 'api_key.created', actorKeyId: admin.id, entityId: created.json().id, requestId: 'audit-test-1', ip: '127.0.0.1' }])

  const client = new pg.Client({ connectionString: databaseUrl })
  await client.connect()
  t.teardown(async () => { await client.end() })
  await t.rejects(client.query("update audit_log set action = 'tampered'"), /append-only/)
  await t.rejects(client.query('delete from audit_log'), /append-only/)
  await t.rejects(client.query('truncate audit_log'), /append-only/)
  const count = await client.query("select count(*)::int as n from audit_log where action = 'tampered'")
  t.equal(count.rows[0].n, 0)
})

/** The status a real HTTP request with this key gets from GET /v1/admin/api-keys (the client: 127.0.0.1). */
let listening: string | null = null
async function overHttp (key: string): Promise<{ status: number, code?: string }> {
  if (listening === null) {
    await app.listen({ port: 0, host: '127.0.0.1' })
    const address = app.server.address()
    listening = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`
  }
  const response = await fetch(`${listening}/v1/admin/api-keys`, { headers: { authorization: `Bearer ${key}` } })
  const body = await response.json() as { code?: string }
  return { status: response.status, ...(body.code !== undefined ? { code: body.code } : {}) }
}

async function createOverApi (payload: Record<string, unknown>): Promise<{ statusCode: number, body: any }> {
  const response = await app.inject({ method: 'POST', url: '/v1/admin/api-keys', headers: { authorization: admin.authorization }, payload })
  return { statusCode: response.statusCode, body: response.json() }
}

t.test('a key with an expiry works until then; an expired key is 401 as an unknown one', async (t) => {
  const expiresAt = new Date(Date.now() + 86_400_000).toISOString()
  const created = await createOverApi({ name: 'expiring', scopes: ['admin'], expiresAt })
  t.equal(created.statusCode, 201)
  t.match(created.body, { expiresAt, allowedIps: [] })
  t.same(await overHttp(created.body.key), { status: 200 }, 'before its expiry')

  const client = new pg.Client({ connectionString: databaseUrl })
  await client.connect()
  t.teardown(async () => { await client.end() })
  await client.query("update api_keys set expires_at = now() - interval '1 second' where name = 'expiring'")
  t.same(await overHttp(created.body.key), { status: 401, code: 'unauthenticated' }, 'after it')
  const unknown = await app.inject({ method: 'GET', url: '/v1/admin/api-keys', headers: { authorization: `Bearer kap_${'x'.repeat(43)}` } })
  const expired = await app.inject({ method: 'GET', url: '/v1/admin/api-keys', headers: { authorization: `Bearer ${created.body.key as string}` } })
  t.equal(expired.json().detail, unknown.json().detail, 'the same words as an unknown key')

  const listed = (await adminGet('/v1/admin/api-keys?limit=100')).data.find((k: { id: string }) => k.id === created.body.id)
  t.match(listed, { expiresAt: /^\d{4}-/, allowedIps: [] }, 'the view shows the expiry')
})

t.test('a key bound to addresses works from them only (request.ip), 401 from any other', async (t) => {
  const loopback = await createOverApi({ name: 'loopback only', scopes: ['admin'], allowedIps: ['127.0.0.0/8', '::1'] })
  t.equal(loopback.statusCode, 201)
  t.same(loopback.body.allowedIps, ['127.0.0.0/8', '::1/128'], 'stored in canonical form')
  t.same(await overHttp(loopback.body.key), { status: 200 }, 'a real request from 127.0.0.1: within its allowlist')

  const office = await createOverApi({ name: 'office only', scopes: ['admin'], allowedIps: ['10.20.0.0/16', '203.0.113.7'] })
  t.equal(office.statusCode, 201)
  t.same(await overHttp(office.body.key), { status: 401, code: 'unauthenticated' }, 'a real request from 127.0.0.1: outside')
  const from = async (remoteAddress: string): Promise<number> => (await app.inject({
    method: 'GET', url: '/v1/admin/api-keys', remoteAddress, headers: { authorization: `Bearer ${office.body.key as string}` }
  })).statusCode
  t.equal(await from('10.20.255.1'), 200, 'inside the CIDR')
  t.equal(await from('203.0.113.7'), 200, 'the one address')
  t.equal(await from('::ffff:203.0.113.7'), 200, 'an IPv4-mapped IPv6 client as its IPv4 address')
  t.equal(await from('10.21.0.1'), 401, 'outside the CIDR')
  t.equal(await from('203.0.113.8'), 401, 'the next address')
  t.equal(await from('2001:db8::1'), 401, 'an IPv6 client')
})

t.test('creation refuses a bad address, a bad date or an expiry in the past', async (t) => {
  for (const allowedIps of [['10.0.0.0/33'], ['10.0.0'], ['not-an-ip'], ['2001:db8::/129'], ['10.0.0.0/8/8'], ['']]) {
    const refused = await createOverApi({ name: 'bad ips', scopes: ['operator'], allowedIps })
    t.equal(refused.statusCode, 400, JSON.stringify(allowedIps))
    t.match(refused.body, { code: 'validation_failed', errors: [{ path: /^body\.allowedIps/ }] })
  }
  const notADate = await createOverApi({ name: 'bad date', scopes: ['operator'], expiresAt: 'tomorrow' })
  t.equal(notADate.statusCode, 400)
  t.match(notADate.body, { code: 'validation_failed', errors: [{ path: 'body.expiresAt' }] })
  const past = await createOverApi({ name: 'past', scopes: ['operator'], expiresAt: '2020-01-01T00:00:00Z' })
  t.equal(past.statusCode, 422)
  t.match(past.body, { code: 'invalid_expiry', errors: [{ path: 'body.expiresAt', message: 'must be in the future' }] })
  t.equal((await adminGet('/v1/admin/api-keys?limit=100')).data.filter((k: { name: string }) => ['bad ips', 'bad date', 'past'].includes(k.name)).length, 0, 'nothing created')
})
