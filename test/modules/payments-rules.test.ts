import t from 'tap'
import { fromPublicId } from '../../src/lib/ids.js'
import { emailIndex } from '../../src/lib/blind-index.js'
import { accept, createListeningApp, PAYER, postJson, seedDebt, startPayment } from '../helpers/payments.js'

/** What the API refuses before any money moves, each with its stable code. */
const { app, base } = await createListeningApp(t, { RISK_MAX_PAYMENTS_PER_HOUR_PER_IP: '1000' })
const offer = await (await fetch(`${base}/v1/offer`)).json() as { version: number, sha256: string }

async function problem (response: Response): Promise<{ status: number, code: string, body: Record<string, any> }> {
  const body = await response.json() as Record<string, any>
  return { status: response.status, code: body.code, body }
}

t.test('acceptance: evidence kept, consent for ten years, 24 hours to pay', async (t) => {
  const debt = await seedDebt(app)
  const response = await postJson(`${base}/v1/offer-acceptances`, { offerVersion: offer.version, offerSha256: offer.sha256, debtId: debt.id, payer: PAYER, personalDataConsent: true }, { 'user-agent': 'Mozilla/5.0 test' })
  t.equal(response.status, 201)
  const acceptance = await response.json() as Record<string, string>
  t.match(acceptance, { id: /^acc_/, offerVersion: offer.version, debtId: debt.id })
  const accepted = Date.parse(acceptance.acceptedAt as string)
  t.equal(new Date(acceptance.consentExpiresAt as string).getUTCFullYear(), new Date(accepted).getUTCFullYear() + 10)
  t.equal(Date.parse(acceptance.payableUntil as string) - accepted, 24 * 3600 * 1000)

  const row = await app.db.selectFrom('acceptances').selectAll().where('id', '=', fromPublicId('acceptance', acceptance.id as string) as string).executeTakeFirstOrThrow()
  t.equal(row.offer_sha256, offer.sha256)
  t.equal(row.user_agent, 'Mozilla/5.0 test')
  t.equal(app.pii.decrypt(row.payer_phone_encrypted), '+77012345678', 'phone normalised')
  t.equal(app.pii.decrypt(row.payer_email_encrypted), 'ivanov@example.kz')
  t.equal(app.pii.decrypt(row.ip_encrypted), '127.0.0.1')
  t.notMatch(JSON.stringify(row), /Иванов|ivanov@|7012345678/, 'no personal data in clear at rest')
})

t.test('acceptance refusals', async (t) => {
  const debt = await seedDebt(app)
  const body = {
    offerVersion: offer.version,
    offerSha256: offer.sha256,
    debtId: debt.id,
    payer: PAYER,
    personalDataConsent: true
  }
  const outdated = await problem(await postJson(`${base}/v1/offer-acceptances`, { ...body, offerSha256: '0'.repeat(64) }))
  t.match(outdated, { status: 409, code: 'offer_outdated', body: { currentVersion: offer.version, currentSha256: offer.sha256 } })
  t.match(await problem(await postJson(`${base}/v1/offer-acceptances`, { ...body, offerVersion: offer.version + 1 })), { status: 409, code: 'offer_outdated' })
  t.match(await problem(await postJson(`${base}/v1/offer-acceptances`, { ...body, personalDataConsent: false })), { status: 422, code: 'consent_required' })
  t.match(await problem(await postJson(`${base}/v1/offer-acceptances`, { ...body, payer: { ...PAYER, phone: '+7 495 123 45 67' } })), { status: 422, code: 'invalid_phone' })
  t.match(await problem(await postJson(`${base}/v1/offer-acceptances`, { ...body, payer: { ...PAYER, email: 'not-an-email' } })), { status: 422, code: 'invalid_email' })
  t.match(await problem(await postJson(`${base}/v1/offer-acceptances`, { ...body, debtId: 'debt_00000000000000000000000000000000' })), { status: 404, code: 'debt_not_found' })
  const missing = await problem(await postJson(`${base}/v1/offer-acceptances`, { ...body, personalDataConsent: undefined }))
  t.match(missing, { status: 400, code: 'validation_failed', body: { errors: [{ path: 'body.personalDataConsent' }] } })
})

t.test('card data is refused before anything runs, and never echoed', async (t) => {
  const debt = await seedDebt(app)
  const response = await postJson(`${base}/v1/offer-acceptances`, { offerVersion: offer.version, offerSha256: offer.sha256, debtId: debt.id, payer: { ...PAYER, fullName: 'Иванов 4111 1111 1111 1111' }, personalDataConsent: true })
  const text = await response.text()
  t.equal(response.status, 400)
  t.equal(JSON.parse(text).code, 'card_data_forbidden')
  t.notMatch(text, /4111/)
  const count = await app.db.selectFrom('acceptances').select((eb) => eb.fn.countAll<bigint>().as('n')).where('debt_id', '=', fromPublicId('debt', debt.id) as string).executeTakeFirstOrThrow()
  t.equal(count.n, 0n, 'nothing stored')
})

t.test('payment refusals', async (t) => {
  const debt = await seedDebt(app, { outstanding: '5000.00' })
  const acceptance = await accept(base, debt.id)
  const noKey = await problem(await postJson(`${base}/v1/payments`, { acceptanceId: acceptance.id, amount: 100_000, currency: 'KZT' }))
  t.match(noKey, { status: 400, code: 'idempotency_key_required' })
  t.match(await problem(await startPayment(base, acceptance.id, 500_001)), { status: 422, code: 'amount_exceeds_outstanding', body: { outstanding: { amount: 500_000, currency: 'KZT' } } })
  t.match(await problem(await startPayment(base, acceptance.id, 9_999)), { status: 422, code: 'amount_below_minimum' })
  t.match(await problem(await startPayment(base, acceptance.id, 100_000, undefined, { returnUrl: 'https://evil.example.com/phish' })), { status: 422, code: 'return_url_not_allowed' })
  t.match(await problem(await startPayment(base, 'acc_00000000000000000000000000000000', 100_000)), { status: 422, code: 'acceptance_not_found' })
  t.match(await problem(await postJson(`${base}/v1/payments`, { acceptanceId: acceptance.id, amount: 100_000, currency: 'USD' }, { 'idempotency-key': 'usd-1' })), { status: 400, code: 'validation_failed' })
  t.match(await problem(await postJson(`${base}/v1/payments`, { acceptanceId: acceptance.id, amount: 1000.5, currency: 'KZT' }, { 'idempotency-key': 'float-1' })), { status: 400, code: 'validation_failed' }, 'money is never a float')

  await app.db.updateTable('acceptances').set({ payable_until: new Date(Date.now() - 1000) }).where('id', '=', fromPublicId('acceptance', acceptance.id) as string).execute()
  t.match(await problem(await startPayment(base, acceptance.id, 100_000)), { status: 422, code: 'acceptance_expired' })

  const recalled = await seedDebt(app)
  const late = await accept(base, recalled.id)
  await app.db.updateTable('debts').set({ status: 'recalled' }).where('id', '=', fromPublicId('debt', recalled.id) as string).execute()
  t.match(await problem(await startPayment(base, late.id, 100_000)), { status: 422, code: 'debt_not_payable' })
})

t.test('idempotency: the same key with another body is refused', async (t) => {
  const debt = await seedDebt(app)
  const acceptance = await accept(base, debt.id)
  const first = await startPayment(base, acceptance.id, 100_000, 'same-key-2')
  t.equal(first.status, 201)
  const reused = await problem(await startPayment(base, acceptance.id, 200_000, 'same-key-2'))
  t.match(reused, { status: 422, code: 'idempotency_key_reused' })
  const count = await app.db.selectFrom('payments').select((eb) => eb.fn.countAll<bigint>().as('n')).where('debt_id', '=', fromPublicId('debt', debt.id) as string).executeTakeFirstOrThrow()
  t.equal(count.n, 1n, 'one payment, not two')
})

t.test('risk rules refuse with a reason, and the refusal is recorded (offer cl. 8)', async (t) => {
  const { app: strict, base: strictBase } = await createListeningApp(t, { RISK_MAX_PAYMENTS_PER_HOUR_PER_IP: '2', RISK_MAX_PAYMENT_AMOUNT: '300000' })
  const debt = await seedDebt(strict, { outstanding: '50000.00' })
  const acceptance = await accept(strictBase, debt.id)
  t.match(await problem(await startPayment(strictBase, acceptance.id, 300_001)), { status: 403, code: 'payment_refused', body: { reason: 'amount_over_limit' } })
  t.equal((await startPayment(strictBase, acceptance.id, 100_000)).status, 201)
  t.equal((await startPayment(strictBase, acceptance.id, 100_000)).status, 201)
  t.match(await problem(await startPayment(strictBase, acceptance.id, 100_000)), { status: 403, code: 'payment_refused', body: { reason: 'too_many_payments_ip' } })
  const refusals = await strict.db.selectFrom('payment_refusals').select(['reason']).orderBy('id').execute()
  t.same(refusals.map((r) => r.reason), ['amount_over_limit', 'too_many_payments_ip'])
})

t.test('after consent is withdrawn, the acceptance can start no payment (offer cl. 16)', async (t) => {
  const debt = await seedDebt(app)
  const acceptance = await accept(base, debt.id, { ...PAYER, email: 'withdrawn@example.kz' })
  const withdrawal = await postJson(`${base}/v1/privacy-requests`, { email: 'Withdrawn@Example.kz', fullName: PAYER.fullName })
  t.equal(withdrawal.status, 201)
  const { id } = await withdrawal.json() as { id: string }
  t.equal((await startPayment(base, acceptance.id, 100_000)).status, 201, 'not before the emailed code comes back')
  // the code as queued for the payer's address (no worker here to deliver it)
  const mail = await app.db.selectFrom('mail_outbox').select('data').where('template', '=', 'privacy-verification-code')
    .where('recipient_index', '=', emailIndex(app.pii, 'withdrawn@example.kz')).executeTakeFirstOrThrow()
  t.equal((await postJson(`${base}/v1/privacy-requests/${id}/verify`, { code: mail.data.code })).status, 200)
  t.match(await problem(await startPayment(base, acceptance.id, 100_000)), { status: 422, code: 'consent_withdrawn' })
  const fresh = await accept(base, debt.id, { ...PAYER, email: 'withdrawn@example.kz' })
  t.equal((await startPayment(base, fresh.id, 100_000)).status, 201, 'a new acceptance is a new consent')
})
