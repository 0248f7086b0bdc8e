import t from 'tap'
import { Webhook } from 'standardwebhooks'
import { createKey, eventually, startTestWorker } from '../helpers/app.js'
import { accept, createListeningApp, postJson, seedDebt, startPayment, submitAtBank } from '../helpers/payments.js'
import { startWebhookReceiver, type Received } from '../helpers/webhook-receiver.js'
import { sql } from 'kysely'
import { fromPublicId } from '../../src/lib/ids.js'
import { disableEndpointsOfExpiredKeys } from '../../src/modules/api-keys/service.js'
import { CRONTAB } from '../../src/jobs/tasks.js'

/**
 * Webhook tooling (DESIGN 20) over real HTTP: a test event sent to one endpoint and an event sent again, delivered by
 * the worker to a local receiver through the normal path, each verified with the reference `standardwebhooks`
 * package against the endpoint's secret.
 */
const { url: hook, received, answers } = await startWebhookReceiver(t)

const { app, base, config } = await createListeningApp(t, { WEBHOOK_ALLOW_PRIVATE_URLS: 'true', WEBHOOK_RETRY_SCHEDULE: '1,1,1' })
await startTestWorker(t, app, config)
const admin = await createKey(app, ['admin'])
const operator = await createKey(app, ['operator'])
const CREDITOR_A = 'АО «Банк А»'
const CREDITOR_B = 'ТОО «Кредитор Б»'

async function partnerKey (creditor: string): Promise<string> {
  await postJson(`${base}/v1/admin/creditors`, { name: creditor }, { authorization: admin.authorization })
  const response = await postJson(`${base}/v1/admin/api-keys`, { name: 'partner', scopes: ['partner'], creditors: [creditor] }, { authorization: admin.authorization })
  return `Bearer ${(await response.json() as { key: string }).key}`
}
const partnerA = await partnerKey(CREDITOR_A)
const partnerB = await partnerKey(CREDITOR_B)

interface Endpoint { id: string, secret: string }
async function register (authorization: string, scope: 'partner' | 'admin', path: string, extra: Record<string, unknown> = {}): Promise<Endpoint> {
  const response = await postJson(`${base}/v1/${scope}/webhook-endpoints`, { url: `${hook}${path}`, ...extra }, { authorization })
  if (response.status !== 201) throw new Error(await response.text())
  return await response.json() as Endpoint
}

async function post (
  path: string, authorization: string, body?: unknown, headers: Record<string, string> = {}
): Promise<Response> {
  return await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { authorization, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) })
  })
}

async function get (path: string, authorization: string): Promise<any> {
  return await (await fetch(`${base}${path}`, { headers: { authorization } })).json()
}

function at (path: string): Received[] {
  return received.filter((r) => r.path === path)
}

async function arrivals (path: string, count: number): Promise<Received[]> {
  return await eventually(async () => at(path).length >= count ? at(path) : undefined)
}

interface Payload { type: string, timestamp: string, data: { object: Record<string, unknown> } }
function verify (secret: string, r: Received): Payload {
  return new Webhook(secret).verify(r.body, {
    'webhook-id': String(r.headers['webhook-id']),
    'webhook-timestamp': String(r.headers['webhook-timestamp']),
    'webhook-signature': String(r.headers['webhook-signature'])
  }) as Payload
}

/** A paid debt of this creditor: its payment.succeeded event's id. */
async function paidEvent (creditor: string): Promise<string> {
  const debt = await seedDebt(app, { creditor, outstanding: '5000.00' })
  const acceptance = await accept(base, debt.id)
  const payment = await (await startPayment(base, acceptance.id, 100_000)).json() as { id: string, redirectUrl: string }
  await submitAtBank(payment.redirectUrl)
  return await eventually(async () => {
    const page = await get('/v1/admin/events?type=payment.succeeded&limit=100', admin.authorization) as { data: Array<{ id: string, data: { object: { id: string } } }> }
    return page.data.find((e) => e.data.object.id === payment.id)?.id
  })
}

t.test('a test event reaches the endpoint signed with its secret, is retried like any event, shows among its deliveries, and is not an event of the API', async (t) => {
  answers.set('/agency-test', [{ status: 500 }])
  const endpoint = await register(admin.authorization, 'admin', '/agency-test', { enabledEvents: ['payment.succeeded'] })
  const response = await post(`/v1/admin/webhook-endpoints/${endpoint.id}/test`, admin.authorization)
  t.equal(response.status, 202)
  const delivery = await response.json() as { id: string, endpointId: string, eventId: string, status: string }
  t.match(delivery, { id: /^whd_/, endpointId: endpoint.id, eventId: /^evt_[0-9a-f]{32}$/, eventType: 'webhook.test', status: 'pending', attemptCount: 0 })

  const [first, second] = await arrivals('/agency-test', 2)
  for (const r of [first, second]) {
    t.equal(r?.headers['webhook-id'], delivery.eventId, 'webhook-id is the test event\'s id, the same on the retry')
    t.match(verify(endpoint.secret, r as Received), { type: 'webhook.test', timestamp: /^\d{4}-/, data: { object: { endpointId: endpoint.id, message: /test event/ } } }, 'standardwebhooks verifies it with the endpoint\'s secret')
  }
  const listed = await eventually(async () => {
    const page = await get(`/v1/admin/webhook-endpoints/${endpoint.id}/deliveries`, admin.authorization) as { data: any[] }
    return page.data.find((d) => d.id === delivery.id && d.status === 'succeeded')
  })
  t.match(listed, { eventType: 'webhook.test', attemptCount: 2, attempts: [{ statusCode: 500 }, { statusCode: 200 }] })

  const events = await get('/v1/admin/events?limit=100', admin.authorization) as { data: Array<{ id: string, type: string }> }
  t.notOk(events.data.some((e) => e.id === delivery.eventId || e.type === 'webhook.test'), 'not listed among the events')
  const one = await fetch(`${base}/v1/admin/events/${delivery.eventId}`, { headers: { authorization: admin.authorization } })
  t.equal(one.status, 404)
  t.equal((await one.json() as { code: string }).code, 'event_not_found')
  const again = await post(`/v1/admin/events/${delivery.eventId}/redeliver`, admin.authorization, {})
  t.equal(again.status, 404, 'a test event is not redelivered: test the endpoint again')
  const audit = await get(`/v1/admin/audit-log?entityType=webhook_endpoint&entityId=${endpoint.id}`, admin.authorization) as { data: Array<{ action: string, details: { eventId?: string } }> }
  t.ok(audit.data.some((e) => e.action === 'webhook_endpoint.tested' && e.details.eventId === delivery.eventId), 'audit-logged')
})

t.test('a partner tests its own endpoint only; unknown and disabled endpoints are refused; Idempotency-Key sends once', async (t) => {
  const mine = await register(partnerA, 'partner', '/partner-test')
  const theirs = await register(partnerB, 'partner', '/partner-b')
  const agency = await register(admin.authorization, 'admin', '/agency-other')

  const response = await post(`/v1/partner/webhook-endpoints/${mine.id}/test`, partnerA, undefined, { 'idempotency-key': 'test-once' })
  t.equal(response.status, 202)
  const delivery = await response.json() as { eventId: string }
  const replay = await post(`/v1/partner/webhook-endpoints/${mine.id}/test`, partnerA, undefined, { 'idempotency-key': 'test-once' })
  t.equal(replay.status, 202)
  t.equal(replay.headers.get('idempotent-replayed'), 'true')
  t.equal((await replay.json() as { eventId: string }).eventId, delivery.eventId, 'the same test event')
  const [got] = await arrivals('/partner-test', 1)
  t.match(verify(mine.secret, got as Received), { type: 'webhook.test', data: { object: { endpointId: mine.id } } })
  const page = await get(`/v1/partner/webhook-endpoints/${mine.id}/deliveries`, partnerA) as { data: unknown[] }
  t.equal(page.data.length, 1, 'one delivery for the key used twice')
  const partnerEvents = await get('/v1/partner/events?limit=100', partnerA) as { data: Array<{ type: string }> }
  t.notOk(partnerEvents.data.some((e) => e.type === 'webhook.test'), 'nor listed for the partner')

  for (const [id, why] of [[theirs.id, 'another partner\'s'], [agency.id, 'the agency\'s'], ['whe_0193b3f2a4c07d1e8b5a2f6c9d0e1f99', 'an unknown']]) {
    const refused = await post(`/v1/partner/webhook-endpoints/${id as string}/test`, partnerA)
    t.equal(refused.status, 404, `${why as string} endpoint`)
    t.equal((await refused.json() as { code: string }).code, 'webhook_endpoint_not_found')
  }
  const unknown = await post('/v1/admin/webhook-endpoints/whe_0193b3f2a4c07d1e8b5a2f6c9d0e1f99/test', admin.authorization)
  t.equal(unknown.status, 404)
  const malformed = await post('/v1/admin/webhook-endpoints/nope/test', admin.authorization)
  t.equal(malformed.status, 400)
  t.equal((await post(`/v1/admin/webhook-endpoints/${agency.id}/test`, operator.authorization)).status, 403, 'admin scope')

  const disable = await fetch(`${base}/v1/partner/webhook-endpoints/${mine.id}`, { method: 'PATCH', headers: { authorization: partnerA, 'content-type': 'application/json' }, body: JSON.stringify({ status: 'disabled' }) })
  t.equal(disable.status, 200)
  const disabled = await post(`/v1/partner/webhook-endpoints/${mine.id}/test`, partnerA)
  t.equal(disabled.status, 409)
  t.match(await disabled.json(), { code: 'webhook_endpoint_disabled', status: 409 })
  t.equal((await get(`/v1/partner/webhook-endpoints/${mine.id}/deliveries`, partnerA) as { data: unknown[] }).data.length, 1, 'nothing queued')
})

t.test('redeliver to one endpoint: a new delivery of the same event id, verified; each request another one', async (t) => {
  const endpoint = await register(partnerA, 'partner', '/again', { enabledEvents: ['payment.succeeded'] })
  const eventId = await paidEvent(CREDITOR_A)
  const [original] = await arrivals('/again', 1)
  t.equal(original?.headers['webhook-id'], eventId)

  const response = await post(`/v1/admin/events/${eventId}/redeliver`, admin.authorization, { endpointId: endpoint.id })
  t.equal(response.status, 202)
  const answer = await response.json() as { eventId: string, deliveries: Array<{ eventId: string }> }
  t.match(answer, { eventId, deliveries: [{ id: /^whd_/, endpointId: endpoint.id, eventId, eventType: 'payment.succeeded', status: 'pending' }] })
  t.equal(answer.deliveries.length, 1)
  const [, again] = await arrivals('/again', 2)
  t.equal(again?.headers['webhook-id'], eventId, 'the same webhook-id: the same event')
  t.match(verify(endpoint.secret, again as Received), { type: 'payment.succeeded', data: { object: { creditor: CREDITOR_A } } })

  const third = await post(`/v1/admin/events/${eventId}/redeliver`, admin.authorization, { endpointId: endpoint.id })
  t.equal(third.status, 202)
  await arrivals('/again', 3)
  const deliveries = await eventually(async () => {
    const page = await get(`/v1/partner/webhook-endpoints/${endpoint.id}/deliveries`, partnerA) as { data: Array<{ id: string, eventId: string, status: string }> }
    return page.data.length === 3 && page.data.every((d) => d.status === 'succeeded') ? page.data : undefined
  })
  t.ok(deliveries.every((d) => d.eventId === eventId), 'three deliveries of one event, each listed')
  t.equal(new Set(deliveries.map((d) => d.id)).size, 3)
  const audit = await get(`/v1/admin/audit-log?entityType=event&entityId=${eventId}`, admin.authorization) as { data: Array<{ action: string, details: { endpointIds: string[] } }> }
  t.match(audit.data.filter((e) => e.action === 'event.redelivered'), [{ details: { endpointIds: [endpoint.id] } }, { details: { endpointIds: [endpoint.id] } }])

  // Idempotency-Key: the retried request answers the first one's deliveries and sends nothing more
  const keyed = await post(`/v1/admin/events/${eventId}/redeliver`, admin.authorization, { endpointId: endpoint.id }, { 'idempotency-key': 'redeliver-1' })
  const replayed = await post(`/v1/admin/events/${eventId}/redeliver`, admin.authorization, { endpointId: endpoint.id }, { 'idempotency-key': 'redeliver-1' })
  t.equal(replayed.headers.get('idempotent-replayed'), 'true')
  t.same(await replayed.json(), await keyed.json())
  const reused = await post(`/v1/admin/events/${eventId}/redeliver`, admin.authorization, {}, { 'idempotency-key': 'redeliver-1' })
  t.equal(reused.status, 422)
  t.equal((await reused.json() as { code: string }).code, 'idempotency_key_reused')
  await arrivals('/again', 4)
  t.equal((await get(`/v1/partner/webhook-endpoints/${endpoint.id}/deliveries`, partnerA) as { data: unknown[] }).data.length, 4)
})

t.test('redeliver without endpointId: every enabled endpoint that receives the event now, and no other', async (t) => {
  const wanting = await register(partnerA, 'partner', '/all-a', { enabledEvents: ['payment.succeeded'] })
  const other = await register(partnerA, 'partner', '/all-refunds', { enabledEvents: ['refund.succeeded'] })
  const foreign = await register(partnerB, 'partner', '/all-b')
  const eventId = await paidEvent(CREDITOR_A)
  await arrivals('/all-a', 1)
  const off = await register(partnerA, 'partner', '/all-off', { enabledEvents: ['payment.succeeded'] })
  await fetch(`${base}/v1/partner/webhook-endpoints/${off.id}`, { method: 'PATCH', headers: { authorization: partnerA, 'content-type': 'application/json' }, body: JSON.stringify({ status: 'disabled' }) })
  const later = await register(partnerA, 'partner', '/all-later', { enabledEvents: ['*'] })

  const response = await post(`/v1/admin/events/${eventId}/redeliver`, admin.authorization)
  t.equal(response.status, 202, 'no body at all is no endpointId')
  const answer = await response.json() as { deliveries: Array<{ endpointId: string }> }
  const to = answer.deliveries.map((d) => d.endpointId)
  t.ok(to.includes(wanting.id) && to.includes(later.id), 'to the endpoints that want it, one registered since included')
  t.notOk(to.includes(other.id) || to.includes(foreign.id) || to.includes(off.id), 'not another type, creditor, or a disabled one')
  const [, again] = await arrivals('/all-a', 2)
  t.equal(again?.headers['webhook-id'], eventId)
  const [late] = await arrivals('/all-later', 1)
  t.match(verify(later.secret, late as Received), { type: 'payment.succeeded' })
  t.equal(at('/all-refunds').length + at('/all-b').length + at('/all-off').length, 0)
})

t.test('redeliver refusals: unknown event, unknown or unsuitable endpoint, disabled endpoint, bad body, scope', async (t) => {
  const eventId = await paidEvent(CREDITOR_A)
  const refunds = await register(partnerA, 'partner', '/no-refunds', { enabledEvents: ['refund.succeeded'] })
  const foreign = await register(partnerB, 'partner', '/no-b')
  const off = await register(admin.authorization, 'admin', '/no-off')
  await fetch(`${base}/v1/admin/webhook-endpoints/${off.id}`, { method: 'PATCH', headers: { authorization: admin.authorization, 'content-type': 'application/json' }, body: JSON.stringify({ status: 'disabled' }) })
  const cases: Array<[string, string, unknown, number, string]> = [
    ['an unknown event', 'evt_0193b3f2a4c07d1e8b5a2f6c9d0e1f99', {}, 404, 'event_not_found'],
    ['an unknown endpoint', eventId, { endpointId: 'whe_0193b3f2a4c07d1e8b5a2f6c9d0e1f99' }, 404, 'webhook_endpoint_not_found'],
    ['an endpoint of other types', eventId, { endpointId: refunds.id }, 422, 'webhook_endpoint_not_subscribed'],
    ['another creditor\'s endpoint', eventId, { endpointId: foreign.id }, 422, 'webhook_endpoint_not_subscribed'],
    ['a disabled endpoint', eventId, { endpointId: off.id }, 409, 'webhook_endpoint_disabled'],
    ['an unknown field', eventId, { endpoint: off.id }, 400, 'validation_failed'],
    ['a malformed endpoint id', eventId, { endpointId: 'whe_x' }, 400, 'validation_failed'],
    ['a malformed event id', 'nope', {}, 400, 'validation_failed']
  ]
  for (const [why, id, body, status, code] of cases) {
    const response = await post(`/v1/admin/events/${id}/redeliver`, admin.authorization, body)
    t.equal(response.status, status, why)
    t.equal((await response.json() as { code: string }).code, code, why)
  }
  const notSubscribed = await (await post(`/v1/admin/events/${eventId}/redeliver`, admin.authorization, { endpointId: refunds.id })).json() as { errors: unknown }
  t.match(notSubscribed.errors, [{ path: 'body.endpointId' }])
  t.equal((await post(`/v1/admin/events/${eventId}/redeliver`, operator.authorization, {})).status, 403, 'admin scope')
  t.equal((await post(`/v1/admin/events/${eventId}/redeliver`, partnerA, {})).status, 403, 'not for partners')
  t.equal(at('/no-refunds').length + at('/no-b').length + at('/no-off').length, 0, 'nothing sent')
})

t.test('an expired key\'s endpoints stop receiving within a minute, as a revoked key\'s do', async (t) => {
  const CREDITOR_C = 'ТОО «Кредитор В»'
  await postJson(`${base}/v1/admin/creditors`, { name: CREDITOR_C }, { authorization: admin.authorization })
  const created = await postJson(`${base}/v1/admin/api-keys`, {
    name: 'partner until Friday', scopes: ['partner'], creditors: [CREDITOR_C], expiresAt: new Date(Date.now() + 3_600_000).toISOString()
  }, { authorization: admin.authorization })
  const partnerC = await created.json() as { id: string, key: string }
  const endpoint = await register(`Bearer ${partnerC.key}`, 'partner', '/expiring')
  const before = await paidEvent(CREDITOR_C)
  await arrivals('/expiring', 1)

  // the contract ended: the key's expiry passed (the clock moved on, not the row's meaning)
  await sql`update api_keys set expires_at = now() - interval '1 second'
    where id = ${fromPublicId('apiKey', partnerC.id) as string}`.execute(app.db)
  t.ok(CRONTAB.includes('* * * * * api-keys-expire'), 'the sweep runs every minute')
  t.equal(await disableEndpointsOfExpiredKeys(app.db), 1)
  t.equal(await disableEndpointsOfExpiredKeys(app.db), 0, 'once')
  // a partner's endpoint is seen by its partner's keys only, and this one's key is refused now: the row itself
  const endpointId = fromPublicId('webhookEndpoint', endpoint.id) as string
  const { rows: [row] } = await sql<{ status: string, disabled_reason: string }>`
    select status, disabled_reason from webhook_endpoints where id = ${endpointId}`.execute(app.db)
  t.match(row, { status: 'disabled', disabled_reason: 'the API key that created it expired' })
  const audit = await get(`/v1/admin/audit-log?entityId=${endpoint.id}`, admin.authorization) as { data: Array<{ action: string }> }
  t.ok(audit.data.some((entry) => entry.action === 'webhook_endpoint.disabled'))

  // deliveries are made in the event's transaction: once the event is listed, none went to the expired key's endpoint
  const after = await paidEvent(CREDITOR_C)
  const { rows: deliveries } = await sql<{ event_id: string }>`
    select event_id from webhook_deliveries where endpoint_id = ${endpointId}`.execute(app.db)
  t.same(deliveries.map((d) => d.event_id), [fromPublicId('event', before)], 'the event after the expiry went nowhere')
  t.not(after, before)
  const redeliver = await post(`/v1/admin/events/${after}/redeliver`, admin.authorization, { endpointId: endpoint.id })
  t.equal(redeliver.status, 409, 'nor can it be sent there by hand')
})
