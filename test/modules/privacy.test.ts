import t from 'tap'
import { createKey, createTestApp, eventually, startTestWorker } from '../helpers/app.js'
import { accept, createListeningApp, outstandingOf, PAYER, postJson, seedDebt, startPayment, submitAtBank } from '../helpers/payments.js'
import { makeIin } from '../helpers/portfolio.js'
import { fromPublicId, uuidv7 } from '../../src/lib/ids.js'
import { businessDaysAfter } from '../../src/modules/calendar/service.js'
import { processPrivacyRequest, sweepPrivacyRequests } from '../../src/modules/privacy/erasure.js'
import { privacyRequestRow as findPrivacyRequest, seedPrivacyRequest } from '../helpers/rows.js'
import { verifyPrivacyRequest } from '../../src/modules/privacy/service.js'

/**
 * offer cl. 16 over HTTP: a withdrawal waits for the code emailed to the
 * address it names; verified, consent is withdrawn at once, the worker
 * destroys the data and a confirmation is issued and emailed.
 */
// every story comes from 127.0.0.1: the per-IP limit is tested on its own app below
const { app, base, config } = await createListeningApp(t, { PRIVACY_REQUESTS_PER_IP_PER_HOUR: '1000' })
if (!app.hasRoute({ method: 'POST', url: '/v1/privacy-requests' })) {
  throw new Error('privacyRoutes is not registered: add `await app.register(privacyRoutes, { prefix: \'/v1\' })` to src/app.ts')
}
await startTestWorker(t, app, config)
const operator = await createKey(app, ['operator'])
const asOperator = { authorization: operator.authorization }
const db = app.db
const deps = { db: app.db, pii: app.pii, log: app.log, publicBaseUrl: base }

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

async function get (
  path: string, headers: Record<string, string> = {}
): Promise<{ status: number, body: Record<string, any> }> {
  const response = await fetch(`${base}${path}`, { headers })
  return { status: response.status, body: await response.json() as Record<string, any> }
}

async function withdraw (body: Record<string, unknown>, headers: Record<string, string> = {}) {
  const response = await postJson(`${base}/v1/privacy-requests`, body, headers)
  return { status: response.status, headers: response.headers, body: await response.json() as Record<string, any> }
}

interface MailboxMessage { template: string, to: string, subject: string, text: string }

/** The code as the person reads it: from the email in the sandbox mailbox (the subject names it). */
async function emailedCode (email: string, nth = 1): Promise<string> {
  return await eventually(async () => {
    const messages = (await (await fetch(`${base}/sandbox/mailbox`)).json() as { messages: MailboxMessage[] }).messages
      .filter((m) => m.template === 'privacy-verification-code' && m.to === email.toLowerCase())
    if (messages.length < nth) return undefined
    const message = messages[messages.length - nth] as MailboxMessage
    const code = /(\d{6})/.exec(message.subject)?.[1]
    if (code === undefined || !message.text.includes(code)) throw new Error('the code is in the subject and in the body')
    return code
  })
}

async function verify (id: string, code: string) {
  const response = await postJson(`${base}/v1/privacy-requests/${id}/verify`, { code })
  return { status: response.status, body: await response.json() as Record<string, any> }
}

/** The person's own withdrawal: asked, then confirmed with the emailed code. */
async function withdrawVerified (body: { email: string, fullName: string, iin?: string }) {
  const created = await withdraw(body)
  if (created.status !== 201) throw new Error(`withdrawal refused: ${JSON.stringify(created.body)}`)
  const verified = await verify(created.body.id, await emailedCode(body.email))
  if (verified.status !== 200) throw new Error(`verification refused: ${JSON.stringify(verified.body)}`)
  return { id: created.body.id as string, ...verified.body }
}

function otherCode (code: string): string {
  return ((Number(code) + 1) % 1_000_000).toString().padStart(6, '0')
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

t.test('a payer who paid withdraws consent: nothing until the code, then processing stops, the data is destroyed, the money facts stay', async (t) => {
  const payer = newPayer()
  const { debt, acceptance, payment } = await paidPayment(payer)
  const asked = await withdraw({ email: payer.email.toUpperCase(), fullName: payer.fullName })
  t.equal(asked.status, 201)
  t.same(Object.keys(asked.body).sort(), ['id', 'status', 'verificationExpiresAt'])
  t.match(asked.body, { id: /^prv_[0-9a-f]{32}$/, status: 'pending_verification' })
  t.equal(new Date(asked.body.verificationExpiresAt).getTime() - new Date((await get(`/v1/privacy-requests/${asked.body.id as string}`)).body.receivedAt).getTime(), 30 * 60 * 1000, 'the code works for 30 minutes')
  const code = await emailedCode(payer.email)
  t.equal((await acceptanceRow(acceptance.id)).consent_withdrawn_at, null, 'nothing changes before verification')
  const before = await startPayment(base, acceptance.id, 100_000)
  t.equal(before.status, 201, 'the acceptance still starts payments')
  const unfinished = await before.json() as { id: string, redirectUrl: string }

  t.match(await verify(asked.body.id, otherCode(code)), { status: 422, body: { code: 'invalid_verification_code', attemptsLeft: 4 } })
  t.equal((await acceptanceRow(acceptance.id)).consent_withdrawn_at, null, 'a wrong code changes nothing')
  const verified = await verify(asked.body.id, code)
  t.equal(verified.status, 200)
  t.same(Object.keys(verified.body).sort(), ['dueAt', 'id', 'status'])
  t.match(verified.body, { id: asked.body.id, status: 'received', dueAt: /^\d{4}-\d\d-\d\d$/ })
  const progress = (await get(`/v1/privacy-requests/${asked.body.id as string}`)).body
  t.equal(verified.body.dueAt, await businessDaysAfter(app.db, new Date(progress.verifiedAt), 30), 'due 30 Kazakhstan business days after verification')
  t.ok((await acceptanceRow(acceptance.id)).consent_withdrawn_at instanceof Date, 'consent withdrawn at verification')
  t.match(await (await startPayment(base, acceptance.id, 100_000)).json(), { status: 422, code: 'consent_withdrawn' }, 'a new payment on the acceptance is refused')
  const created = { body: { id: asked.body.id as string, dueAt: verified.body.dueAt as string } }
  t.equal((await settled(created.body.id, 'on_legal_hold')).holdReason, 'payment in progress', 'the payment open at the bank holds the data')
  await submitAtBank(unfinished.redirectUrl, 'decline')
  await eventually(async () => (await get(`/v1/payments/${unfinished.id}`)).body.status === 'failed')
  t.equal(await sweepPrivacyRequests(deps), 1)

  const done = await settled(created.body.id, 'completed')
  t.match(done, { holdReason: null, completedAt: String, dueAt: created.body.dueAt })
  const row = await acceptanceRow(acceptance.id)
  for (const column of ['payer_full_name_encrypted', 'payer_email_encrypted', 'payer_phone_encrypted', 'ip_encrypted'] as const) {
    t.equal(app.pii.decrypt(row[column]), '[erased]', column)
  }
  t.match(row, { payer_email_index: /^erased:/, ip_index: /^erased:/, user_agent: null })
  const paymentId = fromPublicId('payment', payment.id) as string
  t.match(await db.selectFrom('payments').select(['email_index', 'ip_index']).where('id', '=', paymentId).executeTakeFirstOrThrow(), { email_index: /^erased:/, ip_index: /^erased:/ })
  const callbacks = await db.selectFrom('bank_callbacks').select('raw_encrypted').where('payment_id', 'in', [paymentId, fromPublicId('payment', unfinished.id) as string]).execute()
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
    erased: {
      acceptances: 1,
      callbacks: callbacks.length,
      refundRequests: 0,
      payments: 2,
      emails: 2,
      idempotencyRecords: 2
    }
  })
  // the receipt (and the code) are erased; the confirmation is the last message, to the address the request named
  const confirmationMail = await eventually(async () => (await (await fetch(`${base}/sandbox/mailbox`)).json() as { messages: MailboxMessage[] }).messages
    .find((m) => m.template === 'privacy-destruction-confirmation' && m.text.includes(confirmation.body.confirmationNumber as string)))
  t.equal(confirmationMail.to, payer.email.toLowerCase())
  t.match(confirmationMail.text, new RegExp(`${base}/v1/privacy-requests/${created.body.id}/confirmation`))

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
  const created = { body: await withdrawVerified({ email: payer.email, fullName: payer.fullName }) }
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
  t.match((await get(`/v1/refund-requests/${refund.id as string}`)).body, { status: 'rejected', responseText: '[erased]' }, 'the decision is kept, the operator\'s text (which may name the person) is not')
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
  const created = {
    body: await withdrawVerified({ email: payer.email, fullName: payer.fullName, iin: makeIin(7_000_001) })
  }
  t.equal((await settled(created.body.id, 'on_legal_hold')).holdReason, 'payment in progress')
  await submitAtBank(payment.redirectUrl, 'decline')
  await eventually(async () => (await get(`/v1/payments/${payment.id}`)).body.status === 'failed')
  t.equal(await sweepPrivacyRequests(deps), 1)
  t.equal((await get(`/v1/privacy-requests/${created.body.id as string}`)).body.status, 'completed')
  const request = await findPrivacyRequest(db, fromPublicId('privacyRequest', created.body.id) as string)
  t.equal(request?.iin_index, null, 'the IIN index goes too')
})

t.test('an unknown email gets an answer of the same shape, and its code, and completes with nothing to destroy', async (t) => {
  const created = await withdraw({ email: 'nobody@example.kz', fullName: 'Никто Никтоевич' })
  t.equal(created.status, 201)
  t.same(Object.keys(created.body).sort(), ['id', 'status', 'verificationExpiresAt'])
  t.equal(created.body.status, 'pending_verification')
  t.equal((await verify(created.body.id, await emailedCode('nobody@example.kz'))).status, 200)
  await settled(created.body.id, 'completed')
  t.match((await get(`/v1/privacy-requests/${created.body.id as string}/confirmation`)).body, { erased: { acceptances: 0, callbacks: 0, refundRequests: 0 } })
})

t.test('a stranger who knows the email changes nothing: the request expires unverified', async (t) => {
  const payer = newPayer()
  const { acceptance } = await paidPayment(payer)
  const created = await withdraw({ email: payer.email, fullName: 'Посторонний' })
  t.equal(created.status, 201)
  await emailedCode(payer.email) // the code went to the payer, not to the stranger
  for (const guess of ['000000', '123456', '999999']) t.equal((await verify(created.body.id, guess)).body.code, 'invalid_verification_code')
  t.equal((await acceptanceRow(acceptance.id)).consent_withdrawn_at, null)
  t.equal((await startPayment(base, acceptance.id, 100_000)).status, 201, 'the payer still pays')
  t.match(await get(`/v1/privacy-requests/${created.body.id as string}/confirmation`), { status: 409, body: { code: 'confirmation_not_available' } })

  // Thirty minutes on, the code is dead: the service's clock is given, never the test's.
  const later = new Date(new Date(created.body.verificationExpiresAt).getTime() + 1000)
  const code = await emailedCode(payer.email)
  // the service refuses with a domain error (its code, no HTTP status); the 422 is the edge's, checked over HTTP below
  await t.rejects(verifyPrivacyRequest(deps, created.body.id, { code }, later),
    { name: 'DomainError', code: 'verification_expired' })
  t.equal((await get(`/v1/privacy-requests/${created.body.id as string}`)).body.status, 'expired')
  t.equal((await acceptanceRow(acceptance.id)).consent_withdrawn_at, null, 'still nothing changed')
  t.match(await verify(created.body.id, code), { status: 422, body: { code: 'verification_expired' } })
})

t.test('five wrong codes end a request, even sent all at once', async (t) => {
  const email = 'guesser.target@example.kz'
  const created = await withdraw({ email, fullName: 'Цель Подбора' })
  const code = await emailedCode(email)
  const wrong = Array.from({ length: 12 }, (_, i) => ((Number(code) + 1 + i * 7919) % 1_000_000).toString().padStart(6, '0'))
  const answers = await Promise.all(wrong.map(async (guess) => await verify(created.body.id, guess)))
  t.ok(answers.every((a) => a.status === 422), 'every guess refused')
  t.equal(answers.filter((a) => a.body.code === 'invalid_verification_code').length, 5, 'exactly five counted as tries')
  t.equal(answers.filter((a) => a.body.code === 'verification_expired').length, 7, 'the rest find the request expired')
  t.match(await verify(created.body.id, code), { status: 422, body: { code: 'verification_expired' } }, 'the right code comes too late')
  t.match((await get(`/v1/admin/privacy-requests/${created.body.id as string}`, asOperator)).body, { status: 'expired', verificationAttempts: 5, dueAt: null, verifiedAt: null })
  const row = await findPrivacyRequest(db, fromPublicId('privacyRequest', created.body.id) as string)
  t.equal(app.pii.decrypt(row?.full_name_encrypted ?? ''), '[erased]', 'an expired request keeps no copy of the name')
  t.equal(row?.email_encrypted, null, 'nor of the email')
})

t.test('requests per email are limited; the answer does not tell whether the email is known', async (t) => {
  const email = 'limited@example.kz'
  for (let i = 0; i < config.privacyRequests.perEmailPerHour; i++) t.equal((await withdraw({ email, fullName: 'Часто Спрашивающий' })).status, 201)
  const refused = await withdraw({ email: email.toUpperCase(), fullName: 'Часто Спрашивающий' })
  t.match(refused, { status: 429, body: { code: 'rate_limited' } })
  t.equal(refused.headers.get('retry-after'), '3600')
  t.equal((await withdraw({ email: 'someone.else@example.kz', fullName: 'Другой' })).status, 201, 'another email is not affected')
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
  t.match(await verify(unknown, '123456'), { status: 404, body: { code: 'privacy_request_not_found' } })
  t.equal((await postJson(`${base}/v1/privacy-requests/${unknown}/verify`, {})).status, 400, 'the code is required')
  t.equal((await get('/v1/privacy-requests/pay_00000000000000000000000000000000')).status, 400)
})

t.test('operators list requests: by status, overdue ones, page by page; others may not', async (t) => {
  t.match(await get('/v1/admin/privacy-requests'), { status: 401, body: { code: 'unauthenticated' } })
  const partner = await createKey(app, ['partner'])
  t.match(await get('/v1/admin/privacy-requests', { authorization: partner.authorization }), { status: 403, body: { code: 'forbidden' } })

  // Received long ago and never processed (its job lost): overdue, and the sweep picks it up.
  const stale = await seedPrivacyRequest(db, {
    id: uuidv7(), email_index: app.pii.blindIndex('email:stale@example.kz'), full_name_encrypted: app.pii.encrypt('Старый Запрос'),
    status: 'received', due_at: '2026-01-05', received_at: new Date('2025-11-20T10:00:00Z'), verified_at: new Date('2025-11-20T10:05:00Z')
  })
  const overdue = (await get('/v1/admin/privacy-requests?overdue=true', asOperator)).body
  t.match(overdue.data, [{ id: `prv_${stale.id.replaceAll('-', '')}`, status: 'received', overdue: true, confirmationNumber: null, erased: null }])

  const first = (await get('/v1/admin/privacy-requests?limit=1', asOperator)).body
  t.match(first, { data: [{ id: /^prv_/ }], hasMore: true, nextCursor: String })
  const second = (await get(`/v1/admin/privacy-requests?limit=1&startingAfter=${first.nextCursor as string}`, asOperator)).body
  t.not(second.data[0].id, first.data[0].id)
  const completed = (await get('/v1/admin/privacy-requests?status=completed&limit=100', asOperator)).body
  t.ok(completed.data.length > 0 && completed.data.every((r: Record<string, any>) => r.status === 'completed'))
  const expired = (await get('/v1/admin/privacy-requests?status=expired&limit=100', asOperator)).body
  t.ok(expired.data.length > 0 && expired.data.every((r: Record<string, any>) => r.status === 'expired'), 'operators see unverified requests too')

  t.ok(await sweepPrivacyRequests(deps) >= 1)
  t.equal((await findPrivacyRequest(db, stale.id))?.status, 'completed')
  t.same((await get('/v1/admin/privacy-requests?overdue=true', asOperator)).body.data, [], 'done late, but done')
})

t.test('requests and code checks per IP are limited', async (t) => {
  const { app: limited } = await createTestApp(t, { PRIVACY_REQUESTS_PER_IP_PER_HOUR: '2' })
  const ask = async (email: string) => await limited.inject({ method: 'POST', url: '/v1/privacy-requests', payload: { email, fullName: 'Один Адрес' } })
  t.equal((await ask('ip.one@example.kz')).statusCode, 201)
  t.equal((await ask('ip.two@example.kz')).statusCode, 201)
  const refused = await ask('ip.three@example.kz')
  t.equal(refused.statusCode, 429)
  t.equal(refused.json().code, 'rate_limited')
  const check = async () => await limited.inject({ method: 'POST', url: '/v1/privacy-requests/prv_00000000000000000000000000000000/verify', payload: { code: '123456' } })
  t.equal((await check()).statusCode, 404)
  t.equal((await check()).statusCode, 404)
  t.equal((await check()).statusCode, 429, 'guessing codes is limited too')
})
