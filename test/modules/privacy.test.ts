import t from 'tap'
import { createKey, eventually, startTestWorker } from '../helpers/app.js'
import { accept, createListeningApp, outstandingOf, PAYER, postJson, seedDebt, startPayment, submitAtBank } from '../helpers/payments.js'
import { makeIin } from '../helpers/portfolio.js'
import { fromPublicId, uuidv7 } from '../../src/lib/ids.js'
import { businessDaysAfter } from '../../src/modules/calendar/service.js'
import { processPrivacyRequest, sweepPrivacyRequests } from '../../src/modules/privacy/erasure.js'
import { findPrivacyRequest, insertPrivacyRequest, privacyDb } from '../../src/modules/privacy/repository.js'

/** offer cl. 16 over HTTP: consent withdrawn at once, data destroyed by the worker, a confirmation issued. */
const { app, base, config } = await createListeningApp(t)
if (!app.hasRoute({ method: 'POST', url: '/v1/privacy-requests' })) {
  throw new Error('privacyRoutes is not registered: add `await app.register(privacyRoutes, { prefix: \'/v1\' })` to src/app.ts')
}
await startTestWorker(t, app, config)
const operator = await createKey(app, ['operator'])
const asOperator = { authorization: operator.authorization }
const db = privacyDb(app.db)
const deps = { db: app.db, pii: app.pii, log: app.log }

let people = 0
/**
 * Each story its own payer: erasure goes by email, and the stories share one
 * database (a fresh one per run, so a counter is unique enough). Never a
 * timestamp: a 13-digit one sometimes passes Luhn and the card guard refuses it.
 */
function newPayer () {
  people++
  return { ...PAYER, email: `Payer.${people}@Example.kz` }
}

async function paidPayment (payer: typeof PAYER, amount = 500_000) {
  const debt = await seedDebt(app, { outstanding: '50000.00' })
  const acceptance = await accept(base, debt.id, payer)
  const started = await startPayment(base, acceptance.id, amount)
  if (started.status !== 201) throw new Error(`payment refused: ${await started.text()}`)
  const payment = await started.json() as { id: string, redirectUrl: string, clientSecret: string }
  await submitAtBank(payment.redirectUrl)
  await eventually(async () => (await get(`/v1/payments/${payment.id}`)).body.status === 'succeeded')
  return { debt, acceptance, payment }
}

async function get (path: string, headers: Record<string, string> = {}): Promise<{ status: number, body: Record<string, any> }> {
  const response = await fetch(`${base}${path}`, { headers })
  return { status: response.status, body: await response.json() as Record<string, any> }
}

async function withdraw (body: Record<string, unknown>, headers: Record<string, string> = {}) {
  const response = await postJson(`${base}/v1/privacy-requests`, body, headers)
  return { status: response.status, headers: response.headers, body: await response.json() as Record<string, any> }
}

async function settled (id: string, status: string): Promise<Record<string, any>> {
  return await eventually(async () => {
    const state = (await get(`/v1/privacy-requests/${id}`)).body
    return state.status === status ? state : undefined
  })
}

async function acceptanceRow (publicId: string) {
  return await db.selectFrom('acceptances').selectAll().where('id', '=', fromPublicId('acceptance', publicId) as string).executeTakeFirstOrThrow()
}

t.test('a payer who paid withdraws consent: processing stops, the data is destroyed, the money facts stay', async (t) => {
  const payer = newPayer()
  const { debt, acceptance, payment } = await paidPayment(payer)
  const created = await withdraw({ email: payer.email.toUpperCase(), fullName: payer.fullName })
  t.equal(created.status, 201)
  t.match(created.body, { id: /^prv_[0-9a-f]{32}$/, status: 'received', dueAt: /^\d{4}-\d\d-\d\d$/, receivedAt: String })
  t.equal(created.body.dueAt, await businessDaysAfter(app.db, new Date(created.body.receivedAt), 30), 'due 30 Kazakhstan business days after receipt')
  t.ok((await acceptanceRow(acceptance.id)).consent_withdrawn_at instanceof Date, 'consent withdrawn at once')

  const done = await settled(created.body.id, 'completed')
  t.match(done, { holdReason: null, completedAt: String, dueAt: created.body.dueAt })
  const row = await acceptanceRow(acceptance.id)
  for (const column of ['payer_full_name_encrypted', 'payer_email_encrypted', 'payer_phone_encrypted', 'ip_encrypted'] as const) {
    t.equal(app.pii.decrypt(row[column]), '[erased]', column)
  }
  t.match(row, { payer_email_index: /^erased:/, ip_index: /^erased:/, user_agent: null })
  const paymentId = fromPublicId('payment', payment.id) as string
  t.match(await db.selectFrom('payments').select(['email_index', 'ip_index']).where('id', '=', paymentId).executeTakeFirstOrThrow(), { email_index: /^erased:/, ip_index: /^erased:/ })
  const callbacks = await db.selectFrom('bank_callbacks').select('raw_encrypted').where('payment_id', '=', paymentId).execute()
  t.ok(callbacks.length > 0)
  t.ok(callbacks.every((c) => app.pii.decrypt(c.raw_encrypted) === '{}'), 'the raw callbacks are emptied')
  const request = await findPrivacyRequest(db, fromPublicId('privacyRequest', created.body.id) as string)
  t.equal(app.pii.decrypt(request?.full_name_encrypted ?? ''), '[erased]', 'the request keeps no copy of the name')

  t.match((await get(`/v1/payments/${payment.id}`)).body, { status: 'succeeded', amount: 500_000 }, 'the payment is kept')
  t.equal(await outstandingOf(app, debt.id), 4_500_000n, 'the debt is untouched')
  const receipt = await get(`/v1/payments/${payment.id}/receipt`, { 'x-client-secret': payment.clientSecret })
  t.equal(receipt.status, 200)
  t.match(receipt.body, { payerName: '[erased]', amount: { amount: 500_000 }, contractNumber: debt.contract })

  const confirmation = await get(`/v1/privacy-requests/${created.body.id as string}/confirmation`)
  t.equal(confirmation.status, 200)
  t.match(confirmation.body, {
    requestId: created.body.id,
    confirmationNumber: /^PD-\d{4}-\d{6}$/,
    completedAt: done.completedAt,
    dueAt: created.body.dueAt,
    controller: { name: config.agency.name, bin: config.agency.bin, address: config.agency.address },
    statement: /уничтожены.*«О персональных данных и их защите».*пунктом 16.*бухгалтерском учёте/s,
    erased: { acceptances: 1, callbacks: callbacks.length, refundRequests: 0 }
  })

  await processPrivacyRequest(deps, fromPublicId('privacyRequest', created.body.id) as string)
  t.same((await get(`/v1/privacy-requests/${created.body.id as string}/confirmation`)).body, confirmation.body, 'running again changes nothing')
  t.match((await get(`/v1/admin/privacy-requests/${created.body.id as string}`, asOperator)).body, {
    status: 'completed', overdue: false, confirmationNumber: confirmation.body.confirmationNumber, erased: confirmation.body.erased
  })
})

t.test('an open refund holds the data; once rejected, the sweep destroys it', async (t) => {
  const payer = newPayer()
  const { acceptance, payment } = await paidPayment(payer)
  const refund = await (await postJson(`${base}/v1/refund-requests`, { paymentId: payment.id, email: payer.email, reason: 'Оплатил дважды' })).json() as Record<string, any>
  const created = await withdraw({ email: payer.email, fullName: payer.fullName })
  const held = await settled(created.body.id, 'on_legal_hold')
  t.equal(held.holdReason, 'refund in progress')
  t.match((await get(`/v1/privacy-requests/${created.body.id as string}/confirmation`)).body, { status: 409, code: 'confirmation_not_available' })
  t.equal(app.pii.decrypt((await acceptanceRow(acceptance.id)).payer_full_name_encrypted), payer.fullName, 'held, not destroyed')

  // A fresh acceptance after the withdrawal is a new consent (offer cl. 14): not covered.
  const later = await accept(base, (await seedDebt(app)).id, payer)
  const rejected = await postJson(`${base}/v1/admin/refund-requests/${refund.id as string}/decision`, { decision: 'reject', responseText: 'Оснований нет' }, asOperator)
  t.equal(rejected.status, 200)
  t.ok(await sweepPrivacyRequests(deps) >= 1)
  const done = (await get(`/v1/privacy-requests/${created.body.id as string}`)).body
  t.match(done, { status: 'completed', holdReason: null })
  t.match((await get(`/v1/privacy-requests/${created.body.id as string}/confirmation`)).body, { erased: { acceptances: 1, refundRequests: 1 } })
  const reason = await db.selectFrom('refund_requests').select('reason_encrypted').where('id', '=', fromPublicId('refundRequest', refund.id) as string).executeTakeFirstOrThrow()
  t.equal(app.pii.decrypt(reason.reason_encrypted), '[erased]')
  t.match((await get(`/v1/refund-requests/${refund.id as string}`)).body, { status: 'rejected', responseText: 'Оснований нет' }, 'the answer is kept')
  const fresh = await acceptanceRow(later.id)
  t.equal(app.pii.decrypt(fresh.payer_full_name_encrypted), payer.fullName)
  t.equal(fresh.consent_withdrawn_at, null)
})

t.test('a payment still open at the bank holds the data until it ends', async (t) => {
  const payer = newPayer()
  const acceptance = await accept(base, (await seedDebt(app, { outstanding: '50000.00' })).id, payer)
  const started = await startPayment(base, acceptance.id, 200_000)
  t.equal(started.status, 201)
  const payment = await started.json() as { id: string, redirectUrl: string }
  const created = await withdraw({ email: payer.email, fullName: payer.fullName, iin: makeIin(7_000_001) })
  t.equal(created.status, 201, 'an IIN may be given')
  t.equal((await settled(created.body.id, 'on_legal_hold')).holdReason, 'payment in progress')
  await submitAtBank(payment.redirectUrl, 'decline')
  await eventually(async () => (await get(`/v1/payments/${payment.id}`)).body.status === 'failed')
  t.equal(await sweepPrivacyRequests(deps), 1)
  t.equal((await get(`/v1/privacy-requests/${created.body.id as string}`)).body.status, 'completed')
  const request = await findPrivacyRequest(db, fromPublicId('privacyRequest', created.body.id) as string)
  t.equal(request?.iin_index, null, 'the IIN index goes too')
})

t.test('an unknown email gets the same answer and completes with nothing to destroy', async (t) => {
  const created = await withdraw({ email: 'nobody@example.kz', fullName: 'Никто Никтоевич' })
  t.equal(created.status, 201)
  t.same(Object.keys(created.body).sort(), ['dueAt', 'id', 'receivedAt', 'status'])
  t.equal(created.body.status, 'received')
  await settled(created.body.id, 'completed')
  t.match((await get(`/v1/privacy-requests/${created.body.id as string}/confirmation`)).body, { erased: { acceptances: 0, callbacks: 0, refundRequests: 0 } })
})

t.test('a retried request with the same Idempotency-Key is not filed twice', async (t) => {
  const body = { email: 'twice@example.kz', fullName: 'Дважды Отзывающий' }
  const key = `privacy-${uuidv7()}`
  const first = await withdraw(body, { 'idempotency-key': key })
  const second = await withdraw(body, { 'idempotency-key': key })
  t.equal(second.status, 201)
  t.equal(second.body.id, first.body.id)
  t.equal(second.headers.get('idempotent-replayed'), 'true')
  t.equal((await withdraw({ ...body, fullName: 'Другой' }, { 'idempotency-key': key })).body.code, 'idempotency_key_reused')
})

t.test('what the client may not ask', async (t) => {
  t.match(await withdraw({ email: 'not-an-email', fullName: 'Иван' }), { status: 422, body: { code: 'invalid_email' } })
  t.match(await withdraw({ email: 'ivan@example.kz', fullName: 'Иван', iin: '123456789012' }), { status: 422, body: { code: 'invalid_iin' } })
  t.match(await withdraw({ email: 'ivan@example.kz', fullName: '   ' }), { status: 422, body: { code: 'invalid_full_name' } })
  t.equal((await withdraw({ email: 'ivan@example.kz' })).status, 400, 'the name is required')
  const unknown = 'prv_00000000000000000000000000000000'
  t.match(await get(`/v1/privacy-requests/${unknown}`), { status: 404, body: { code: 'privacy_request_not_found' } })
  t.match(await get(`/v1/privacy-requests/${unknown}/confirmation`), { status: 404, body: { code: 'privacy_request_not_found' } })
  t.match(await get(`/v1/admin/privacy-requests/${unknown}`, asOperator), { status: 404, body: { code: 'privacy_request_not_found' } })
  t.equal((await get('/v1/privacy-requests/pay_00000000000000000000000000000000')).status, 400)
})

t.test('operators list requests: by status, overdue ones, page by page; others may not', async (t) => {
  t.match(await get('/v1/admin/privacy-requests'), { status: 401, body: { code: 'unauthenticated' } })
  const partner = await createKey(app, ['partner'])
  t.match(await get('/v1/admin/privacy-requests', { authorization: partner.authorization }), { status: 403, body: { code: 'forbidden' } })

  // Received long ago and never processed (its job lost): overdue, and the sweep picks it up.
  const stale = await insertPrivacyRequest(db, {
    id: uuidv7(), email_index: app.pii.blindIndex('email:stale@example.kz'), full_name_encrypted: app.pii.encrypt('Старый Запрос'),
    due_at: '2026-01-05', received_at: new Date('2025-11-20T10:00:00Z')
  })
  const overdue = (await get('/v1/admin/privacy-requests?overdue=true', asOperator)).body
  t.match(overdue.data, [{ id: `prv_${stale.id.replaceAll('-', '')}`, status: 'received', overdue: true, confirmationNumber: null, erased: null }])

  const first = (await get('/v1/admin/privacy-requests?limit=1', asOperator)).body
  t.match(first, { data: [{ id: /^prv_/ }], hasMore: true, nextCursor: String })
  const second = (await get(`/v1/admin/privacy-requests?limit=1&startingAfter=${first.nextCursor as string}`, asOperator)).body
  t.not(second.data[0].id, first.data[0].id)
  const completed = (await get('/v1/admin/privacy-requests?status=completed&limit=100', asOperator)).body
  t.ok(completed.data.length > 0 && completed.data.every((r: Record<string, any>) => r.status === 'completed'))

  t.ok(await sweepPrivacyRequests(deps) >= 1)
  t.equal((await findPrivacyRequest(db, stale.id))?.status, 'completed')
  t.same((await get('/v1/admin/privacy-requests?overdue=true', asOperator)).body.data, [], 'done late, but done')
})
