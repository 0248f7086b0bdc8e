import t from 'tap'
import { Webhook } from 'standardwebhooks'
import { createKey, createTestApp, eventually, startTestWorker } from '../helpers/app.js'
import { accept, createListeningApp, postJson, seedDebt, startPayment, submitAtBank } from '../helpers/payments.js'
import { startWebhookReceiver, type Received } from '../helpers/webhook-receiver.js'
import { deliverWebhook } from '../../src/modules/events/delivery.js'
import { guardedLookup, postWebhook } from '../../src/modules/events/http-client.js'
import { publishDebtClosed } from '../../src/modules/debts/events.js'
import { fromPublicId } from '../../src/lib/ids.js'

/**
 * Webhooks over real HTTP: a local receiver, the worker delivering from the
 * outbox, and the reference `standardwebhooks` package as the independent
 * verifier of every signature.
 */
const { url: hook, received, answers } = await startWebhookReceiver(t)

const { app, base, config } = await createListeningApp(t, { WEBHOOK_ALLOW_PRIVATE_URLS: 'true', WEBHOOK_RETRY_SCHEDULE: '1,1,1' })
await startTestWorker(t, app, config)
const admin = await createKey(app, ['admin'])
const CREDITOR_A = 'АО «Банк А»'
const CREDITOR_B = 'ТОО «Кредитор Б»'

/** The creditors on record first (DESIGN 18: a key naming no creditor is refused), then the key. */
const creditorIds = new Map<string, string>()
async function partnerKey (creditors: string[]): Promise<string> {
  for (const name of creditors) {
    const made = await postJson(`${base}/v1/admin/creditors`, { name }, { authorization: admin.authorization })
    if (made.status === 201) creditorIds.set(name, (await made.json() as { id: string }).id)
  }
  const response = await postJson(`${base}/v1/admin/api-keys`, { name: 'partner', scopes: ['partner'], creditors }, { authorization: admin.authorization })
  return `Bearer ${(await response.json() as { key: string }).key}`
}
const partnerA = await partnerKey([CREDITOR_A])

async function register (authorization: string, path: string, scope: 'partner' | 'admin' = 'partner', extra: Record<string, unknown> = {}): Promise<{ id: string, secret: string }> {
  const response = await postJson(`${base}/v1/${scope}/webhook-endpoints`, { url: `${hook}${path}`, ...extra }, { authorization })
  if (response.status !== 201) throw new Error(await response.text())
  return await response.json() as { id: string, secret: string }
}

async function pay (creditor: string): Promise<{ id: string }> {
  const debt = await seedDebt(app, { creditor, outstanding: '5000.00' })
  const acceptance = await accept(base, debt.id)
  const payment = await (await startPayment(base, acceptance.id, 100_000)).json() as { id: string, redirectUrl: string }
  await submitAtBank(payment.redirectUrl)
  return payment
}

function deliveriesTo (path: string): Received[] {
  return received.filter((r) => r.path === path)
}

function headersOf (r: Received): Record<string, string> {
  return { 'webhook-id': String(r.headers['webhook-id']), 'webhook-timestamp': String(r.headers['webhook-timestamp']), 'webhook-signature': String(r.headers['webhook-signature']) }
}

async function deliveries (authorization: string, scope: string, endpointId: string): Promise<any[]> {
  return (await (await fetch(`${base}/v1/${scope}/webhook-endpoints/${endpointId}/deliveries`, { headers: { authorization } })).json() as { data: any[] }).data
}

t.test('A\'s payment reaches A\'s endpoint, signed so that standardwebhooks verifies it; B\'s neither reaches nor is listed for A', async (t) => {
  const endpoint = await register(partnerA, '/a')
  t.match(endpoint, { id: /^whe_[0-9a-f]{32}$/, status: 'enabled', enabledEvents: ['*'], creditors: [creditorIds.get(CREDITOR_A)], secret: /^whsec_[A-Za-z0-9+/]{43}=$/ })
  t.equal(Buffer.from(endpoint.secret.slice('whsec_'.length), 'base64').length, 32)
  const shown = await (await fetch(`${base}/v1/partner/webhook-endpoints/${endpoint.id}`, { headers: { authorization: partnerA } })).json() as Record<string, unknown>
  t.notOk('secret' in shown, 'the secret is shown once, at creation')
  const agency = await register(admin.authorization, '/agency', 'admin', { enabledEvents: ['payment.succeeded'] })

  const paymentA = await pay(CREDITOR_A)
  const paymentB = await pay(CREDITOR_B)
  const atA = await eventually(async () => deliveriesTo('/a').find((r) => JSON.parse(r.body).data.object.id === paymentA.id && JSON.parse(r.body).type === 'payment.succeeded'))
  const payload = new Webhook(endpoint.secret).verify(atA.body, headersOf(atA)) as {
    type: string
    timestamp: string
    data: { object: Record<string, unknown> }
  }
  t.match(payload, { type: 'payment.succeeded', timestamp: /^\d{4}-/, data: { object: { id: paymentA.id, status: 'succeeded', creditor: CREDITOR_A, payerName: 'И. И. И.' } } })
  t.match(atA.headers['webhook-id'], /^evt_[0-9a-f]{32}$/)
  t.throws(() => new Webhook(agency.secret).verify(atA.body, headersOf(atA)), 'another secret does not verify')
  t.throws(() => new Webhook(endpoint.secret).verify(atA.body.replace('succeeded', 'failed'), headersOf(atA)), 'a changed body does not verify')

  // the agency's endpoint receives every creditor's payments: once it has B's, every delivery of that event exists
  await eventually(async () => deliveriesTo('/agency').find((r) => JSON.parse(r.body).data.object.id === paymentB.id))
  t.notOk(deliveriesTo('/a').some((r) => r.body.includes(paymentB.id)), 'B\'s payment was not sent to A')
  const listed = await deliveries(partnerA, 'partner', endpoint.id)
  t.ok(listed.length > 0)
  const events = await (await fetch(`${base}/v1/partner/events?limit=100`, { headers: { authorization: partnerA } })).json() as { data: Array<{ id: string, data: { object: { id: string } } }> }
  t.notOk(events.data.some((e) => e.data.object.id === paymentB.id), 'nor listed for A')
  t.ok(deliveriesTo('/agency').every((r) => JSON.parse(r.body).type === 'payment.succeeded'), 'enabledEvents is honoured')
  const foreign = await fetch(`${base}/v1/partner/webhook-endpoints/${agency.id}`, { headers: { authorization: partnerA } })
  t.equal(foreign.status, 404, 'the agency\'s endpoint is not the partner\'s')
})

t.test('an endpoint answering 500 gets the same event again, same webhook-id; both attempts show', async (t) => {
  answers.set('/flaky', [{ status: 500 }])
  const endpoint = await register(partnerA, '/flaky', 'partner', { enabledEvents: ['payment.succeeded'] })
  const payment = await pay(CREDITOR_A)
  const both = await eventually(async () => {
    const got = deliveriesTo('/flaky').filter((r) => r.body.includes(payment.id))
    return got.length >= 2 ? got : undefined
  })
  t.equal(both[0]?.headers['webhook-id'], both[1]?.headers['webhook-id'], 'the same webhook-id on the retry')
  for (const r of both) t.ok(new Webhook(endpoint.secret).verify(r.body, headersOf(r)))
  const delivery = await eventually(async () => (await deliveries(partnerA, 'partner', endpoint.id)).find((d) => d.status === 'succeeded'))
  t.match(delivery, { id: /^whd_/, eventType: 'payment.succeeded', attemptCount: 2, statusCode: 200, error: null, nextRetryAt: null })
  t.match(delivery.attempts, [{ statusCode: 500, durationMs: Number, nextRetryAt: /^\d{4}-/ }, { statusCode: 200, nextRetryAt: null }])

  const retry = await fetch(`${base}/v1/partner/webhook-endpoints/${endpoint.id}/deliveries/${delivery.id as string}/retry`, { method: 'POST', headers: { authorization: partnerA } })
  t.equal(retry.status, 202)
  const third = await eventually(async () => {
    const got = deliveriesTo('/flaky').filter((r) => r.body.includes(payment.id))
    return got.length >= 3 ? got : undefined
  })
  t.equal(third[2]?.headers['webhook-id'], both[0]?.headers['webhook-id'], 'a manual retry is the same event')
})

t.test('410 disables the endpoint and the audit log says so', async (t) => {
  answers.set('/gone', [{ status: 410 }])
  const endpoint = await register(partnerA, '/gone', 'partner', { enabledEvents: ['payment.succeeded'] })
  await pay(CREDITOR_A)
  const disabled = await eventually(async () => {
    const state = await (await fetch(`${base}/v1/partner/webhook-endpoints/${endpoint.id}`, { headers: { authorization: partnerA } })).json() as { status: string, disabledReason: string }
    return state.status === 'disabled' ? state : undefined
  })
  t.match(disabled.disabledReason, /410/)
  const audit = await (await fetch(`${base}/v1/admin/audit-log?entityType=webhook_endpoint&entityId=${endpoint.id}`, { headers: { authorization: admin.authorization } })).json() as { data: Array<{ action: string }> }
  t.ok(audit.data.some((e) => e.action === 'webhook_endpoint.disabled'))
  t.equal(deliveriesTo('/gone').length, 1, 'no retry after 410')
  const retry = await fetch(`${base}/v1/partner/webhook-endpoints/${endpoint.id}/deliveries/${(await deliveries(partnerA, 'partner', endpoint.id))[0].id as string}/retry`, { method: 'POST', headers: { authorization: partnerA } })
  t.equal(retry.status, 409)
})

t.test('429 with Retry-After: the next attempt waits at least that long', async (t) => {
  answers.set('/busy', [{ status: 429, headers: { 'retry-after': '3' } }])
  const endpoint = await register(partnerA, '/busy', 'partner', { enabledEvents: ['payment.succeeded'] })
  await pay(CREDITOR_A)
  const delivery = await eventually(async () => (await deliveries(partnerA, 'partner', endpoint.id)).find((d) => d.status === 'succeeded'))
  const [first] = delivery.attempts as Array<{ attemptedAt: string, nextRetryAt: string, statusCode: number }>
  t.equal(first?.statusCode, 429)
  t.ok(Date.parse(first?.nextRetryAt ?? '') - Date.parse(first?.attemptedAt ?? '') >= 3000, 'Retry-After (3 s) over the schedule (1 s)')
})

t.test('a rotated secret: both sign for 24 h, each verifies', async (t) => {
  const endpoint = await register(partnerA, '/rotate', 'partner', { enabledEvents: ['payment.succeeded'] })
  const rotated = await (await fetch(`${base}/v1/partner/webhook-endpoints/${endpoint.id}/rotate-secret`, { method: 'POST', headers: { authorization: partnerA } })).json() as { secret: string, previousSecretExpiresAt: string }
  t.not(rotated.secret, endpoint.secret)
  t.ok(Date.parse(rotated.previousSecretExpiresAt) > Date.now() + 23 * 3600_000)
  const payment = await pay(CREDITOR_A)
  const got = await eventually(async () => deliveriesTo('/rotate').find((r) => r.body.includes(payment.id)))
  t.equal(String(got.headers['webhook-signature']).split(' ').length, 2, 'two signatures, space-separated')
  t.ok(new Webhook(rotated.secret).verify(got.body, headersOf(got)), 'the new secret verifies')
  t.ok(new Webhook(endpoint.secret).verify(got.body, headersOf(got)), 'the old secret still verifies')
})

t.test('endpoint changes: update, disable, delete; all audit-logged', async (t) => {
  const endpoint = await register(partnerA, '/changes')
  const patch = await fetch(`${base}/v1/partner/webhook-endpoints/${endpoint.id}`, { method: 'PATCH', headers: { authorization: partnerA, 'content-type': 'application/json' }, body: JSON.stringify({ enabledEvents: ['refund.succeeded'], status: 'disabled' }) })
  t.equal(patch.status, 200)
  t.match(await patch.json(), { enabledEvents: ['refund.succeeded'], status: 'disabled' })
  const list = await (await fetch(`${base}/v1/partner/webhook-endpoints`, { headers: { authorization: partnerA } })).json() as { data: Array<{ id: string }> }
  t.ok(list.data.some((e) => e.id === endpoint.id))
  const removed = await fetch(`${base}/v1/partner/webhook-endpoints/${endpoint.id}`, { method: 'DELETE', headers: { authorization: partnerA } })
  t.equal(removed.status, 200)
  t.equal((await fetch(`${base}/v1/partner/webhook-endpoints/${endpoint.id}`, { headers: { authorization: partnerA } })).status, 404)
  // the changes are in their own transactions; a read is recorded once its answer has gone out
  const audit = await eventually(async () => {
    const page = await (await fetch(`${base}/v1/admin/audit-log?entityId=${endpoint.id}`, { headers: { authorization: admin.authorization } })).json() as { data: Array<{ action: string }> }
    return page.data.some((e) => e.action === 'partner.read') ? page : undefined
  })
  t.same(audit.data.map((e) => e.action).filter((a) => a.startsWith('webhook_endpoint.')).sort(), ['webhook_endpoint.created', 'webhook_endpoint.deleted', 'webhook_endpoint.updated'])
})

t.test('a revoked key\'s endpoints stop receiving: disabled with the reason, pending deliveries failed, audit-logged; a live key of the same creditors may enable them again', async (t) => {
  const created = await postJson(`${base}/v1/admin/api-keys`, { name: 'leaked', scopes: ['partner'], creditors: [CREDITOR_A] }, { authorization: admin.authorization })
  const leaked = await created.json() as { id: string, key: string }
  const leakedAuth = `Bearer ${leaked.key}`
  // a delivery waiting on a Retry-After far away is pending when the key is revoked
  answers.set('/leaked', [{ status: 429, headers: { 'retry-after': '3600' } }])
  const endpoint = await register(leakedAuth, '/leaked', 'partner', { enabledEvents: ['payment.succeeded'] })
  const control = await register(partnerA, '/control', 'partner', { enabledEvents: ['payment.succeeded'] })
  const first = await pay(CREDITOR_A)
  await eventually(async () => (await deliveries(partnerA, 'partner', endpoint.id)).find((d) => d.status === 'pending' && d.attemptCount === 1))

  const revoked = await fetch(`${base}/v1/admin/api-keys/${leaked.id}`, { method: 'DELETE', headers: { authorization: admin.authorization } })
  t.equal(revoked.status, 200)
  const state = await (await fetch(`${base}/v1/partner/webhook-endpoints/${endpoint.id}`, { headers: { authorization: partnerA } })).json() as { status: string, disabledReason: string }
  t.match(state, { status: 'disabled', disabledReason: 'the API key that created it was revoked' }, 'the partner\'s other key sees why')
  t.match(await deliveries(partnerA, 'partner', endpoint.id), [{ status: 'failed', attemptCount: 1, nextRetryAt: null }], 'the waiting delivery will not be sent')
  t.equal((await fetch(`${base}/v1/partner/webhook-endpoints/${control.id}`, { headers: { authorization: partnerA } }).then(async (r) => await r.json()) as { status: string }).status, 'enabled', 'another key\'s endpoint is untouched')
  const audit = await (await fetch(`${base}/v1/admin/audit-log?entityType=webhook_endpoint&entityId=${endpoint.id}`, { headers: { authorization: admin.authorization } })).json() as { data: Array<{ action: string, details: { reason?: string } }> }
  t.ok(audit.data.some((e) => e.action === 'webhook_endpoint.disabled' && e.details.reason === 'the API key that created it was revoked'))

  // the next payment reaches the live key's endpoint and not the revoked key's
  const second = await pay(CREDITOR_A)
  await eventually(async () => deliveriesTo('/control').find((r) => r.body.includes(second.id)))
  t.equal(deliveriesTo('/leaked').length, 1, 'only the first attempt, before the revocation')
  t.notOk(deliveriesTo('/leaked').some((r) => r.body.includes(second.id)))
  t.ok(deliveriesTo('/leaked')[0]?.body.includes(first.id))
  t.same((await deliveries(partnerA, 'partner', endpoint.id)).length, 1, 'no delivery queued for a disabled endpoint')

  const again = await fetch(`${base}/v1/admin/api-keys/${leaked.id}`, { method: 'DELETE', headers: { authorization: admin.authorization } })
  t.equal(again.status, 200, 'revoking twice is harmless')
  const enabled = await fetch(`${base}/v1/partner/webhook-endpoints/${endpoint.id}`, { method: 'PATCH', headers: { authorization: partnerA, 'content-type': 'application/json' }, body: JSON.stringify({ status: 'enabled' }) })
  t.match(await enabled.json(), { status: 'enabled', disabledReason: null }, 'the partner may take it back')
  const disabledAgain = await (await fetch(`${base}/v1/admin/audit-log?entityType=webhook_endpoint&entityId=${endpoint.id}`, { headers: { authorization: admin.authorization } })).json() as { data: Array<{ action: string }> }
  t.equal(disabledAgain.data.filter((e) => e.action === 'webhook_endpoint.disabled').length, 1, 'the second revoke disabled nothing more')
})

t.test('SSRF: with a database and no WEBHOOK_ALLOW_PRIVATE_URLS, only https on public addresses, checked again at delivery', async (t) => {
  const strict = await createTestApp(t)
  t.equal(strict.config.webhooks.allowPrivateUrls, false, 'the default with DATABASE_URL')
  const strictAdmin = await createKey(strict.app, ['admin'])
  for (const url of [`${hook}/x`, 'https://127.0.0.1/x', 'https://localhost/x', 'https://10.0.0.5/x', 'https://[::1]/x', 'https://169.254.169.254/latest', 'https://[::ffff:127.0.0.1]/x', 'https://user:pw@example.kz/x']) {
    const response = await strict.app.inject({ method: 'POST', url: '/v1/admin/webhook-endpoints', headers: { authorization: strictAdmin.authorization }, payload: { url } })
    t.equal(response.statusCode, 422, url)
    t.equal(response.json().code, 'webhook_url_not_allowed')
  }
  const ok = await strict.app.inject({ method: 'POST', url: '/v1/admin/webhook-endpoints', headers: { authorization: strictAdmin.authorization }, payload: { url: 'https://hooks.example.kz/explus' } })
  t.equal(ok.statusCode, 201)

  // the guard runs at every attempt, on the address the name resolves to
  const refused = await new Promise<Error | null>((resolve) => { guardedLookup(false)('localhost', {}, (err) => { resolve(err) }) })
  t.match(refused?.message, /non-public address/, 'a name resolving to loopback is refused by the lookup the socket uses')
  const allowed = await new Promise<Error | null>((resolve) => { guardedLookup(true)('localhost', {}, (err) => { resolve(err) }) })
  t.equal(allowed, null)
  const viaName = await postWebhook(`http://localhost:${hook.split(':').at(-1) as string}/x`, {}, '{}', { timeoutMs: 2000, allowPrivate: false })
  t.match(viaName, { statusCode: null, error: /^refused/ })
  t.notOk(deliveriesTo('/x').length > 0, 'nothing reached the private receiver')
})

t.test('an endpoint failing for 5 days in a row is disabled; a failing delivery never throws', async (t) => {
  const quiet = await createTestApp(t)
  const quietAdmin = await createKey(quiet.app, ['admin'])
  answers.set('/down', Array.from({ length: 10 }, () => ({ status: 503 })))
  const created = await quiet.app.inject({ method: 'POST', url: '/v1/admin/webhook-endpoints', headers: { authorization: quietAdmin.authorization }, payload: { url: 'https://hooks.example.kz/x' } })
  const endpointPublicId = created.json().id as string
  const db = quiet.app.db
  // pointed at the local receiver, as a developer's machine allows (this app has no worker: attempts are made below)
  await db.updateTable('webhook_endpoints').set({ url: `${hook}/down` }).where('id', '=', fromPublicId('webhookEndpoint', endpointPublicId) as string).execute()
  const debt = await seedDebt(quiet.app, { creditor: CREDITOR_A })
  await quiet.app.db.transaction().execute(async (trx) => { await publishDebtClosed(trx, fromPublicId('debt', debt.id) as string) })
  const delivery = await db.selectFrom('webhook_deliveries').selectAll().executeTakeFirstOrThrow()

  const deps = {
    db: quiet.app.db,
    pii: quiet.app.pii,
    names: quiet.app.eventNames,
    log: quiet.app.log,
    config: { retrySchedule: Array.from({ length: 10 }, () => 60), timeoutMs: 5000, allowPrivateUrls: true }
  }
  const start = Date.parse('2026-03-02T09:00:00.000Z')
  const state = async (): Promise<{ status: string, disabledReason: string | null }> => (await quiet.app.inject({ method: 'GET', url: `/v1/admin/webhook-endpoints/${endpointPublicId}`, headers: { authorization: quietAdmin.authorization } })).json()
  for (const day of [0, 1, 4.9]) {
    await deliverWebhook({ ...deps, now: () => new Date(start + day * 86_400_000) }, delivery.id)
    t.equal((await state()).status, 'enabled', `still enabled after ${day} days of failures`)
  }
  await deliverWebhook({ ...deps, now: () => new Date(start + 5 * 86_400_000) }, delivery.id)
  t.match(await state(), { status: 'disabled', disabledReason: /5 days/ })
  const audit = (await quiet.app.inject({ method: 'GET', url: `/v1/admin/audit-log?entityId=${endpointPublicId}`, headers: { authorization: quietAdmin.authorization } })).json() as { data: Array<{ action: string }> }
  t.ok(audit.data.some((e) => e.action === 'webhook_endpoint.disabled'), 'an audit entry for the admin')
  const listed = (await quiet.app.inject({ method: 'GET', url: `/v1/admin/webhook-endpoints/${endpointPublicId}/deliveries`, headers: { authorization: quietAdmin.authorization } })).json() as { data: Array<{ status: string, attempts: unknown[] }> }
  t.match(listed.data[0], { status: 'failed', attempts: { length: 4 } })

  // an endpoint that does not answer at all is one more failed attempt, not an exception
  await db.updateTable('webhook_endpoints').set({ url: 'http://127.0.0.1:9/', status: 'enabled', failing_since: null }).execute()
  await db.updateTable('webhook_deliveries').set({ status: 'pending' }).execute()
  await deliverWebhook({ ...deps, now: () => new Date(start + 6 * 86_400_000) }, delivery.id)
  const after = (await quiet.app.inject({ method: 'GET', url: `/v1/admin/webhook-endpoints/${endpointPublicId}/deliveries`, headers: { authorization: quietAdmin.authorization } })).json() as { data: Array<{ statusCode: number | null, error: string }> }
  t.match(after.data[0], { statusCode: null, error: /ECONNREFUSED/ })
})
