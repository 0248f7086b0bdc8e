import t from 'tap'
import { Ajv2020 } from 'ajv/dist/2020.js'
import addFormatsModule from 'ajv-formats'
import { generateOpenApi } from '../../src/openapi-cli.js'
import { EVENT_TYPES } from '../../src/modules/events/tables.js'
import { createKey, eventually, startTestWorker } from '../helpers/app.js'
import { accept, createListeningApp, postJson, seedDebt, startPayment, submitAtBank, PAYER } from '../helpers/payments.js'
import { loadConfig } from '../../src/config.js'
import { fromPublicId } from '../../src/lib/ids.js'
import { publishPaymentEvent } from '../../src/modules/payments/events.js'

/**
 * Every fact the issue names becomes one event, in the fact's own
 * transaction: refunds, refund requests, returns, declines; a rolled-back
 * fact leaves no event and no delivery behind.
 */
const { app, base, config } = await createListeningApp(t)
await startTestWorker(t, app, config)
const operator = await createKey(app, ['operator'])
const asOperator = { authorization: operator.authorization }
const CREDITOR = 'АО «Банк событий»'
const partner = await createKey(app, ['partner'], 'events partner', [CREDITOR])

async function paid (): Promise<{ id: string }> {
  const debt = await seedDebt(app, { creditor: CREDITOR, outstanding: '5000.00' })
  const acceptance = await accept(base, debt.id)
  const payment = await (await startPayment(base, acceptance.id, 200_000)).json() as { id: string, redirectUrl: string }
  await submitAtBank(payment.redirectUrl)
  return payment
}

async function eventsOf (objectId: string): Promise<Array<{ type: string, data: { object: Record<string, any> } }>> {
  const page = await (await fetch(`${base}/v1/partner/events?limit=100`, { headers: { authorization: partner.authorization } })).json() as { data: Array<{ type: string, data: { object: Record<string, any> } }> }
  return page.data.filter((e) => e.data.object.id === objectId || e.data.object.paymentId === objectId).reverse()
}

t.test('a refund request, its decision and the refund: one event each, in order', async (t) => {
  const payment = await paid()
  const request = await (await postJson(`${base}/v1/refund-requests`, { paymentId: payment.id, email: PAYER.email, amount: 50_000, reason: 'Оплатил лишнее' })).json() as { id: string }
  const decided = await postJson(`${base}/v1/admin/refund-requests/${request.id}/decision`, { decision: 'approve', responseText: 'Возврат одобрен' }, asOperator)
  t.equal(decided.status, 200)
  const events = await eventually(async () => {
    const found = await eventsOf(payment.id)
    return found.some((e) => e.type === 'refund.succeeded') ? found : undefined
  })
  t.same(events.map((e) => e.type), ['payment.succeeded', 'refund_request.submitted', 'refund_request.decided', 'refund.succeeded'])
  t.match(events[1]?.data.object, { id: request.id, status: 'submitted', amount: 50_000 })
  t.match(events[2]?.data.object, { id: request.id, status: 'approved', dueAt: /^\d{4}-\d{2}-\d{2}$/ })
  t.match(events[3]?.data.object, { id: /^ref_/, kind: 'refund', status: 'succeeded', amount: 50_000, paymentId: payment.id })
  t.notOk(JSON.stringify(events).includes('Оплатил лишнее'), 'the payer\'s reason is personal data: not in events')
  t.notOk('responseText' in (events[2]?.data.object ?? {}), 'the agency\'s answer to the payer is not a partner\'s to read')
  t.notOk(JSON.stringify(events).includes('Возврат одобрен'))

  const admin = await createKey(app, ['admin'])
  const all = await (await fetch(`${base}/v1/admin/events?type=refund_request.decided&limit=100`, { headers: { authorization: admin.authorization } })).json() as { data: Array<{ id: string, data: { object: Record<string, unknown> } }> }
  const decidedEvent = all.data.find((e) => e.data.object.id === request.id)
  t.match(decidedEvent?.data.object, { id: request.id, responseText: 'Возврат одобрен' }, 'the back office sees the answer')

  // an event stored before partners stopped getting the answer shows it to them no more
  await app.db.updateTable('events').set({ partner_data: JSON.stringify({ ...events[2]?.data.object, responseText: 'Уважаемый Иванов Иван' }) })
    .where('id', '=', fromPublicId('event', decidedEvent?.id as string) as string).execute()
  const reread = (await eventsOf(payment.id)).find((e) => e.type === 'refund_request.decided')
  t.match(reread?.data.object, { id: request.id, status: 'approved' })
  t.notOk('responseText' in (reread?.data.object ?? {}))
})

t.test('a return of a suspicious payment: refund.succeeded and payment.returned', async (t) => {
  const payment = await paid()
  const started = await postJson(`${base}/v1/admin/payments/${payment.id}/return`, { reason: 'подозрительный' }, asOperator)
  t.equal(started.status, 202)
  const events = await eventually(async () => {
    const found = await eventsOf(payment.id)
    return found.some((e) => e.type === 'payment.returned') ? found : undefined
  })
  t.match(events.find((e) => e.type === 'payment.returned')?.data.object, { id: payment.id, status: 'returned', refundedAmount: 200_000 })
  t.match(events.find((e) => e.type === 'refund.succeeded')?.data.object, { kind: 'return', amount: 200_000 })
})

t.test('a declined payment: payment.failed', async (t) => {
  const debt = await seedDebt(app, { creditor: CREDITOR, outstanding: '5000.00' })
  const acceptance = await accept(base, debt.id)
  const payment = await (await startPayment(base, acceptance.id, 100_000)).json() as { id: string, redirectUrl: string }
  await submitAtBank(payment.redirectUrl, 'decline', '4000 0000 0000 0002')
  const events = await eventually(async () => {
    const found = await eventsOf(payment.id)
    return found.length > 0 ? found : undefined
  })
  t.same(events.map((e) => e.type), ['payment.failed'])
  t.match(events[0]?.data.object, { status: 'failed', failureCode: /./ })
})

t.test('a fact rolled back leaves no event and no delivery', async (t) => {
  const payment = await paid()
  await app.inject({ method: 'POST', url: '/v1/admin/webhook-endpoints', headers: { authorization: (await createKey(app, ['admin'])).authorization }, payload: { url: 'https://hooks.example.kz/x' } })
  const count = async (): Promise<[bigint, bigint]> => [
    (await app.db.selectFrom('events').select((eb) => eb.fn.countAll<bigint>().as('n')).executeTakeFirstOrThrow()).n,
    (await app.db.selectFrom('webhook_deliveries').select((eb) => eb.fn.countAll<bigint>().as('n')).executeTakeFirstOrThrow()).n
  ]
  const before = await count()
  await t.rejects(app.db.transaction().execute(async (trx) => {
    await publishPaymentEvent(trx, 'payment.needs_review', fromPublicId('payment', payment.id) as string)
    throw new Error('the fact failed after the event was written')
  }))
  t.same(await count(), before, 'no event, no delivery')
  await app.db.transaction().execute(async (trx) => { await publishPaymentEvent(trx, 'payment.needs_review', fromPublicId('payment', payment.id) as string) })
  const [events, deliveries] = await count()
  t.same([events, deliveries], [before[0] + 1n, before[1] + 1n], 'committed: the event and its delivery to the agency endpoint')
})

t.test('the events the API answers validate against the document\'s typed events, one branch per type', async (t) => {
  const document = JSON.parse(await generateOpenApi()) as { components: { schemas: Record<string, any> } }
  const schemas = document.components.schemas
  const ajv = new Ajv2020({ strict: false, allErrors: true })
  ;(addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020)(ajv)
  ajv.addSchema({ $id: 'openapi', components: document.components })
  const admin = await createKey(app, ['admin'])
  const audiences = [
    { name: 'AdminEvent', prefix: '/v1/admin', authorization: admin.authorization },
    { name: 'PartnerEvent', prefix: '/v1/partner', authorization: partner.authorization }
  ]
  for (const { name, prefix, authorization } of audiences) {
    const union = schemas[name]
    t.equal(union.discriminator.propertyName, 'type', name)
    for (const type of EVENT_TYPES) {
      const branch = schemas[String(union.discriminator.mapping[type]).split('/').pop() as string]
      t.equal(branch?.properties.type.const, type, `${name}: a branch for ${type}`)
      t.ok(String(branch?.properties.data.properties.object.$ref).startsWith('#/components/schemas/'), 'a typed object')
    }
    t.equal(union.oneOf.length, EVENT_TYPES.length)
    const validate = ajv.compile({ $ref: `openapi#/components/schemas/${name}` })
    const page = await (await fetch(`${base}${prefix}/events?limit=100`, { headers: { authorization } })).json() as
      { data: Array<{ id: string, type: string }> }
    const seen = new Set(page.data.map((event) => event.type))
    t.ok(seen.size >= 5, `${name}: real events of ${[...seen].join(', ')}`)
    for (const event of page.data) {
      t.ok(validate(event), `${name} ${event.type}: ${JSON.stringify(validate.errors?.slice(0, 3))}`)
    }
    const single = await (await fetch(`${base}${prefix}/events/${page.data[0]?.id ?? ''}`, { headers: { authorization } })).json()
    t.ok(validate(single), `${name}, one by id`)
  }
})

t.test('WEBHOOK_ALLOW_PRIVATE_URLS defaults to true only without DATABASE_URL; the schedule is configurable', async (t) => {
  t.equal(loadConfig({}).webhooks.allowPrivateUrls, true)
  const key = 'A'.repeat(43) + '='
  const withDb = {
    DATABASE_URL: 'postgres://x@127.0.0.1/x', PII_ENCRYPTION_KEY: key, PII_INDEX_KEY: key,
    BANK_MODE: 'sandbox', MAIL_MODE: 'sandbox', METRICS_PUBLIC: 'true'
  }
  t.equal(loadConfig(withDb).webhooks.allowPrivateUrls, false)
  t.equal(loadConfig({ ...withDb, WEBHOOK_ALLOW_PRIVATE_URLS: 'true' }).webhooks.allowPrivateUrls, true)
  t.same(loadConfig({}).webhooks.retrySchedule, [5, 300, 1800, 7200, 18000, 36000, 50400, 72000, 86400])
  t.same(loadConfig({ WEBHOOK_RETRY_SCHEDULE: '1, 2,3' }).webhooks.retrySchedule, [1, 2, 3])
  t.throws(() => loadConfig({ WEBHOOK_RETRY_SCHEDULE: '1,,2' }), /WEBHOOK_RETRY_SCHEDULE/)
  t.throws(() => loadConfig({ WEBHOOK_TIMEOUT_MS: '5' }), /WEBHOOK_TIMEOUT_MS/)
})
