import t, { type Test } from 'tap'
import { createKey } from '../helpers/app.js'
import { accept, createListeningApp, outstandingOf, postJson, seedDebt, startPayment } from '../helpers/payments.js'
import { fromPublicId, toPublicId } from '../../src/lib/ids.js'
import { almatyDate } from '../../src/lib/calendar.js'
import { kaspiPay } from '../../src/modules/payments/kaspi.js'
import { trialBalance } from '../../src/modules/ledger/service.js'

/**
 * One payment model, two channels (DESIGN 17): a Kaspi payment is a payment with `channel: "kaspi"`, shown with
 * Kaspi's transaction id and the debt's payment code and no payer data in every view, event, report and metric; it is
 * refunded in Kaspi's cabinet and only recorded here, never above what it brought in, never through the card bank.
 */
const { app, base } = await createListeningApp(t, { METRICS_RATE_LIMIT_PER_MINUTE: '1000' })
const CREDITOR = 'АО «Каспи-кредитор»'
const operator = await createKey(app, ['operator'])
const partner = await createKey(app, ['partner'], 'kaspi partner', [CREDITOR])

async function codeOf (debtId: string): Promise<string> {
  const row = await app.db.selectFrom('debts').select('payment_code')
    .where('id', '=', fromPublicId('debt', debtId) as string).executeTakeFirstOrThrow()
  return row.payment_code
}

/** Kaspi pays `sum` tiyn to the debt's code; the payment's public id. */
async function kaspiPayment (debtId: string, txnId: string, sum: bigint): Promise<string> {
  const answer = JSON.parse(await kaspiPay({ db: app.db, pii: app.pii }, {
    txnId, account: await codeOf(debtId), sum, txnDate: null
  })) as { result: number }
  if (answer.result !== 0) throw new Error(`pay refused: ${JSON.stringify(answer)}`)
  const row = await app.db.selectFrom('payments').select('id').where('kaspi_txn_id', '=', txnId).executeTakeFirstOrThrow()
  return toPublicId('payment', row.id)
}

async function get (path: string, authorization = operator.authorization): Promise<{ status: number, body: any }> {
  const response = await fetch(`${base}${path}`, { headers: { authorization } })
  return { status: response.status, body: await response.json() }
}

async function externalRefund (
  paymentId: string, body: unknown, headers: Record<string, string> = {}
): Promise<{ status: number, body: any, replayed: string | null }> {
  const response = await postJson(`${base}/v1/admin/payments/${paymentId}/external-refunds`, body, {
    authorization: operator.authorization, ...headers
  })
  return { status: response.status, body: await response.json(), replayed: response.headers.get('idempotent-replayed') }
}

async function ledgerTiesOut (t: Test): Promise<void> {
  const balance = await trialBalance(app.db)
  t.equal(balance.total, 0, 'the trial balance is zero')
  t.ok(balance.consistent, 'and every balance is the sum of its lines')
}

t.test('a Kaspi payment shows its channel, Kaspi\'s txn id and the payment code, and no payer data', async (t) => {
  const debt = await seedDebt(app, { creditor: CREDITOR, outstanding: '5000.00' })
  const code = await codeOf(debt.id)
  const id = await kaspiPayment(debt.id, 'view-1', 150_000n)
  const kaspi = { channel: 'kaspi', kaspiTxnId: 'view-1', paymentCode: code }

  const kaspiList = await get('/v1/admin/payments?channel=kaspi')
  t.match(kaspiList.body.data.find((p: { id: string }) => p.id === id), { ...kaspi, status: 'succeeded', amount: 150_000, cardMask: null })
  const cardList = await get('/v1/admin/payments?channel=card')
  t.notOk(cardList.body.data.some((p: { id: string }) => p.id === id), 'the channel filter')

  const detail = await get(`/v1/admin/payments/${id}`)
  t.equal(detail.status, 200)
  t.match(detail.body, { ...kaspi, contractNumber: debt.contract, bankPaymentId: null, needsReview: false })
  t.match(detail.body.timeline, [{ kind: 'event', type: 'succeeded', details: { source: 'kaspi', txnId: 'view-1' } }])

  const partnerView = await get(`/v1/partner/payments/${id}`, partner.authorization)
  t.equal(partnerView.status, 200)
  t.match(partnerView.body, { ...kaspi, creditor: CREDITOR, payerName: null, cardMask: null })

  const adminEvents = await get('/v1/admin/events?type=payment.succeeded&limit=100')
  const adminEvent = adminEvents.body.data.find((e: any) => e.data.object.id === id)
  t.match(adminEvent?.data.object, { ...kaspi, status: 'succeeded' }, 'the event as the agency reads it')
  const partnerEvents = await get('/v1/partner/events?type=payment.succeeded', partner.authorization)
  const partnerEvent = partnerEvents.body.data.find((e: any) => e.data.object.id === id)
  t.match(partnerEvent?.data.object, { ...kaspi, payerName: null }, 'and as its creditor does')

  const shown = await (await fetch(`${base}/v1/payments/${id}`)).json() as { channel: string }
  t.equal(shown.channel, 'kaspi', 'the public view names the channel')
  const receipt = await fetch(`${base}/v1/payments/${id}/receipt`, { headers: { 'x-client-secret': `${id}_secret_${'x'.repeat(32)}` } })
  t.equal(receipt.status, 404, 'no client secret, no receipt')
})

t.test('a Kaspi payment is never refunded through the card bank', async (t) => {
  const debt = await seedDebt(app, { creditor: CREDITOR, outstanding: '5000.00' })
  const id = await kaspiPayment(debt.id, 'bank-1', 100_000n)
  const request = await postJson(`${base}/v1/refund-requests`, { paymentId: id, email: 'someone@example.kz', reason: 'вернуть' })
  t.equal(request.status, 404, 'no payer email to prove: a refund request cannot be made')
  t.equal((await request.json() as { code: string }).code, 'payment_not_found')

  const returned = await postJson(`${base}/v1/admin/payments/${id}/return`, { reason: 'подозрительный' }, { authorization: operator.authorization })
  t.equal(returned.status, 409)
  const problem = await returned.json() as { code: string, detail: string }
  t.equal(problem.code, 'payment_not_returnable')
  t.match(problem.detail, /external-refunds/, 'the detail points to the external refund')
  const refunds = await app.db.selectFrom('refunds').select('id').where('payment_id', '=', fromPublicId('payment', id) as string).execute()
  t.equal(refunds.length, 0, 'nothing queued for the bank')
})

t.test('an external refund is recorded: refund_paid on clearing:kaspi, refund.succeeded, the debt raised back', async (t) => {
  const debt = await seedDebt(app, { creditor: CREDITOR, outstanding: '5000.00' })
  const id = await kaspiPayment(debt.id, 'ext-1', 200_000n)
  t.equal(await outstandingOf(app, debt.id), 300_000n)

  const first = await externalRefund(id, { amount: 50_000, reference: 'KASPI-RET-1' }, { 'idempotency-key': 'ext-1-a' })
  t.equal(first.status, 201)
  t.match(first.body, { kind: 'external', status: 'succeeded', amount: 50_000, paymentId: id, reference: 'KASPI-RET-1', refundRequestId: null, bankRefundId: null })
  t.equal(await outstandingOf(app, debt.id), 350_000n, 'the debt is raised by what the refund took back')

  const replay = await externalRefund(id, { amount: 50_000, reference: 'KASPI-RET-1' }, { 'idempotency-key': 'ext-1-a' })
  t.equal(replay.replayed, 'true')
  t.same(replay.body, first.body, 'a retry with its key is the same refund')
  const again = await externalRefund(id, { amount: 1_000, reference: 'KASPI-RET-1' })
  t.equal(again.status, 409)
  t.equal(again.body.code, 'external_refund_already_recorded', 'one reference, one record')

  const payment = await get(`/v1/admin/payments/${id}`)
  t.equal(payment.body.refundedAmount, 50_000)
  t.match(payment.body.timeline.at(-1), { type: 'refunded', details: { amount: 50_000, reference: 'KASPI-RET-1' } })

  const ledger = await get(`/v1/admin/debts/${debt.id}/ledger`)
  const refundEntry = ledger.body.entries.find((e: any) => e.kind === 'refund_paid')
  t.match(refundEntry, { reference: { type: 'refund', id: first.body.id } }, 'the ledger entry is refund_paid')
  const clearing = await app.db.selectFrom('ledger_lines').innerJoin('ledger_accounts', 'ledger_accounts.id', 'ledger_lines.account_id')
    .select(['ledger_accounts.key', 'ledger_lines.amount'])
    .where('ledger_lines.entry_id', '=', fromPublicId('ledgerEntry', refundEntry.id) as string)
    .where('ledger_accounts.kind', '=', 'clearing').execute()
  t.same(clearing, [{ key: 'clearing:kaspi', amount: -50_000n }], 'the money left Kaspi\'s clearing account')

  const events = await get('/v1/admin/events?type=refund.succeeded&limit=100')
  t.ok(events.body.data.some((e: any) => e.data.object.id === first.body.id && e.data.object.kind === 'external'), 'refund.succeeded')

  const over = await externalRefund(id, { amount: 150_001, reference: 'KASPI-RET-2' })
  t.equal(over.status, 422)
  t.match(over.body, { code: 'amount_exceeds_refundable', refundable: 150_000, errors: [{ path: 'body.amount' }] })
  const rest = await externalRefund(id, { amount: 150_000, reference: 'KASPI-RET-2' })
  t.equal(rest.status, 201, 'all that is left')
  t.equal((await externalRefund(id, { amount: 1, reference: 'KASPI-RET-3' })).body.code, 'amount_exceeds_refundable', 'and nothing more')
  await ledgerTiesOut(t)
})

t.test('external refunds are for Kaspi payments that exist', async (t) => {
  const unknown = await externalRefund(toPublicId('payment', '0193b3f2-a4c0-7d1e-8b5a-2f6c9d0e1f23'), { amount: 100, reference: 'x' })
  t.equal(unknown.status, 404)
  t.equal(unknown.body.code, 'payment_not_found')

  const debt = await seedDebt(app, { outstanding: '5000.00' })
  const acceptance = await accept(base, debt.id)
  const card = await (await startPayment(base, acceptance.id, 100_000)).json() as { id: string }
  const refused = await externalRefund(card.id, { amount: 100, reference: 'x' })
  t.equal(refused.status, 409)
  t.equal(refused.body.code, 'payment_not_external', 'a card payment is refunded through the bank')

  const kaspi = await kaspiPayment((await seedDebt(app, { outstanding: '5000.00' })).id, 'ext-bad', 10_000n)
  t.equal((await externalRefund(kaspi, { amount: 0, reference: 'x' })).status, 400, 'a positive amount')
  t.equal((await externalRefund(kaspi, { amount: 100, reference: ' ' })).status, 400, 'a reference')
  const anonymous = await postJson(`${base}/v1/admin/payments/${kaspi}/external-refunds`, { amount: 100, reference: 'x' })
  t.equal(anonymous.status, 401)
})

t.test('external refunds at once never refund more than the payment brought in', async (t) => {
  const debt = await seedDebt(app, { creditor: CREDITOR, outstanding: '5000.00' })
  const id = await kaspiPayment(debt.id, 'ext-race', 100_000n)
  const answers = await Promise.all(Array.from({ length: 8 }, async (_, i) =>
    await externalRefund(id, { amount: 30_000, reference: `RACE-${i}` })))
  t.same(answers.map((a) => a.status).sort(), [201, 201, 201, 422, 422, 422, 422, 422], 'three fit, five do not')
  const payment = await get(`/v1/admin/payments/${id}`)
  t.equal(payment.body.refundedAmount, 90_000)
  t.equal(await outstandingOf(app, debt.id), 500_000n - 100_000n + 90_000n)
  await ledgerTiesOut(t)
})

t.test('the daily report and the metrics carry the channel', async (t) => {
  const creditor = 'ТОО «Отчётный кредитор»'
  const debt = await seedDebt(app, { creditor, outstanding: '5000.00' })
  const code = await codeOf(debt.id)
  const id = await kaspiPayment(debt.id, 'report-1', 120_000n)
  t.equal((await externalRefund(id, { amount: 20_000, reference: 'REPORT-RET' })).status, 201)

  const date = almatyDate(new Date())
  const report = await get(`/v1/admin/reports/daily?date=${date}&creditor=${encodeURIComponent(creditor)}`)
  t.equal(report.status, 200)
  t.match(report.body.lines, [
    { paymentId: id, kind: 'payment_received', amount: 120_000, channel: 'kaspi', kaspiTxnId: 'report-1', paymentCode: code },
    { paymentId: id, kind: 'refund_paid', amount: 20_000, channel: 'kaspi', kaspiTxnId: 'report-1', paymentCode: code }
  ])
  t.same(report.body.totals, [{
    kind: 'total',
    creditor,
    creditorId: report.body.lines[0].creditorId,
    received: 120_000,
    refunded: 20_000,
    returned: 0,
    net: 100_000,
    channels: [{ kind: 'channel_total', channel: 'kaspi', received: 120_000, refunded: 20_000, returned: 0, net: 100_000 }]
  }])

  const csv = await (await fetch(`${base}/v1/admin/reports/daily?date=${date}&creditor=${encodeURIComponent(creditor)}`, {
    headers: { authorization: operator.authorization, accept: 'text/csv' }
  })).text()
  const rows = csv.replace('\uFEFF', '').trim().split('\r\n').map((line) => line.split(','))
  t.same(rows[0]?.slice(9, 12), ['channel', 'payment_code', 'kaspi_txn_id'], 'issue 23\'s columns after the first nine')
  t.same(rows[1]?.slice(9, 12), ['kaspi', code, 'report-1'])
  t.ok(rows.some((row) => row[0] === 'channel_total' && row[5] === 'net' && row[6] === '100000' && row[9] === 'kaspi'), 'a total per channel')

  const metrics = await (await fetch(`${base}/metrics`)).text()
  t.match(metrics, /debt_payments_payments\{[^}]*status="succeeded"[^}]*channel="kaspi"[^}]*\} [1-9]/, 'payments by channel')
})
