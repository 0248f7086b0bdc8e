import t from 'tap'
import { sql } from 'kysely'
import { createKey, eventually, startTestWorker } from '../helpers/app.js'
import { accept, createListeningApp, PAYER, postJson, seedDebt, startPayment, submitAtBank } from '../helpers/payments.js'
import { armFault, clearFaults } from '../bank/bank-fixtures.js'
import { fromPublicId, toPublicId, uuidv7 } from '../../src/lib/ids.js'
import { decideRefund, sweepOrphanedRefunds } from '../../src/modules/refunds/execution.js'

/**
 * Refund outcomes are never guessed, with the
 * real worker, the sandbox bank over HTTP and its injected faults. A short
 * bank timeout and two attempts per job keep each scenario to seconds.
 */
const { app, base, config } = await createListeningApp(t, { BANK_TIMEOUT_MS: '1500', REFUND_MAX_ATTEMPTS: '2' })
await startTestWorker(t, app, config)
const operator = await createKey(app, ['operator'])
const asOperator = { authorization: operator.authorization }
const bankUrl = `${base}/sandbox/bank`
// only an admin key arms the sandbox bank's faults
const faults = { bankUrl, adminAuthorization: (await createKey(app, ['admin'])).authorization }

t.afterEach(async () => { await clearFaults(faults) })

async function get (path: string): Promise<Record<string, any>> {
  return await (await fetch(`${base}${path}`, { headers: asOperator })).json() as Record<string, any>
}

async function paidPayment (amount: number): Promise<string> {
  const debt = await seedDebt(app, { outstanding: '50000.00' })
  const payment = await (await startPayment(base, (await accept(base, debt.id)).id, amount)).json() as {
    id: string
    redirectUrl: string
  }
  await submitAtBank(payment.redirectUrl)
  return payment.id
}

/** A client's request for `amount`, approved: its refund is queued. */
async function approvedRefund (paymentId: string, amount: number): Promise<{ requestId: string, refundId: string }> {
  const request = await (await postJson(`${base}/v1/refund-requests`, { paymentId, email: PAYER.email, amount, reason: 'Оплатил лишнее' })).json() as { id: string }
  const decided = await postJson(`${base}/v1/admin/refund-requests/${request.id}/decision`, { decision: 'approve', responseText: 'Возврат одобрен' }, asOperator)
  if (decided.status !== 200) throw new Error(`approval refused: ${await decided.text()}`)
  return { requestId: request.id, refundId: (await decided.json() as { refund: { id: string } }).refund.id }
}

async function settled (refundId: string, status?: string): Promise<Record<string, any>> {
  return await eventually(async () => {
    const row = await get(`/v1/admin/refunds/${refundId}`)
    return (status === undefined ? row.status !== 'pending' : row.status === status) ? row : undefined
  }, 30_000)
}

/** The sandbox bank's own records: every revoke that reached the card. */
async function bankRefunds (paymentId: string): Promise<Array<{ id: string, amount: bigint }>> {
  const { rows } = await sql<{ id: string, amount: string }>`
    select r.id::text as id, r.amount::text as amount from sandbox_bank_refunds r join sandbox_bank_payments p on p.id = r.payment_id
     where p.order_id = ${paymentId} order by r.id`.execute(app.db)
  return rows.map((row) => ({ id: row.id, amount: BigInt(row.amount) }))
}

async function refundedAtBank (paymentId: string): Promise<bigint | undefined> {
  return (await app.bank.getStatus({ orderId: paymentId }))?.refundedAmount
}

t.test('the decision: send when the bank\'s total is ours, complete when it covers this refund, otherwise review', async (t) => {
  t.equal(decideRefund({ bankRefunded: 0n, succeeded: 0n, amount: 100n, inDoubt: 0n }), 'send')
  t.equal(decideRefund({ bankRefunded: 300n, succeeded: 300n, amount: 100n, inDoubt: 0n }), 'send')
  t.equal(decideRefund({ bankRefunded: 400n, succeeded: 300n, amount: 100n, inDoubt: 0n }), 'covered')
  t.equal(decideRefund({ bankRefunded: 350n, succeeded: 300n, amount: 100n, inDoubt: 0n }), 'review', 'the bank has part of it: we cannot tell')
  t.equal(decideRefund({ bankRefunded: 200n, succeeded: 300n, amount: 100n, inDoubt: 0n }), 'review', 'the bank has less than we recorded')
  t.equal(decideRefund({ bankRefunded: 400n, succeeded: 300n, amount: 100n, inDoubt: 100n }), 'review', 'another refund in doubt could be the one the bank made')
  t.equal(decideRefund({ bankRefunded: 500n, succeeded: 300n, amount: 100n, inDoubt: 100n }), 'covered', 'both were made')
})

t.test('(a) revoke applies the refund and then times out: it ends succeeded, refunded exactly once; the request shows completed', async (t) => {
  const paymentId = await paidPayment(1_000_000)
  await armFault(faults, { script: 'revoke', mode: 'apply_then_timeout', count: 1 })
  const { requestId, refundId } = await approvedRefund(paymentId, 400_000)
  const done = await settled(refundId)
  t.match(done, { status: 'succeeded', attempts: 2, bankRefundId: null })
  t.same((await bankRefunds(paymentId)).map((r) => r.amount), [400_000n], 'the sandbox bank refunded its amount once')
  t.equal(await refundedAtBank(paymentId), 400_000n, 'and get_status3 says so')
  const request = await (await fetch(`${base}/v1/refund-requests/${requestId}`)).json() as Record<string, any>
  t.match(request, { status: 'completed', refund: { status: 'succeeded' } }, '(e) the client sees completed')
  t.match((await (await fetch(`${base}/v1/payments/${paymentId}`)).json() as Record<string, any>), { refundedAmount: 400_000 })
})

t.test('(b) revoke times out on every attempt: needs_review, not failed, nothing sent twice; the operator\'s retry asks first and completes', async (t) => {
  const paymentId = await paidPayment(500_000)
  await armFault(faults, { script: 'revoke', mode: 'timeout', count: 10 })
  const { requestId, refundId } = await approvedRefund(paymentId, 500_000)
  const review = await settled(refundId)
  t.match(review, { status: 'needs_review', attempts: 2, sentAt: String, reviewReason: /outcome unknown after the last attempt: revoke\.php: no answer in time/ })
  t.same(await bankRefunds(paymentId), [], 'no money moved')
  t.ok((await get('/v1/admin/refunds?status=needs_review')).data.some((r: Record<string, any>) => r.id === refundId), 'listed for operators')
  t.ok((await get(`/v1/admin/payments/${paymentId}`)).timeline.some((e: Record<string, any>) => e.type === 'refund_needs_review'), 'in the payment\'s timeline')
  t.match(await (await fetch(`${base}/v1/refund-requests/${requestId}`)).json(), { status: 'approved', refund: { status: 'needs_review' } })
  t.match(await (await postJson(`${base}/v1/admin/payments/${paymentId}/return`, { reason: 'x' }, asOperator)).json(), { code: 'payment_not_returnable' }, 'its amount is still reserved')

  await clearFaults(faults)
  t.equal((await postJson(`${base}/v1/admin/refunds/${refundId}/retry`, {}, asOperator)).status, 202)
  t.match(await settled(refundId), { status: 'succeeded', attempts: 1 })
  t.same((await bankRefunds(paymentId)).map((r) => r.amount), [500_000n], 'refunded once')
  t.match(await (await fetch(`${base}/v1/refund-requests/${requestId}`)).json(), { status: 'completed' })
})

t.test('(b) the card got the money but no answer came and the bank cannot be asked: needs_review; the retry finds it done and never calls revoke again', async (t) => {
  const paymentId = await paidPayment(600_000)
  await armFault(faults, { script: 'revoke', mode: 'apply_then_timeout', count: 1 })
  const { refundId } = await approvedRefund(paymentId, 600_000)
  // Once revoke.php is on its way, the bank stops answering get_status3.php.
  await eventually(async () => (await get(`/v1/admin/refunds/${refundId}`)).sentAt !== null, 10_000)
  await armFault(faults, { script: 'get_status3', mode: 'timeout', count: 10 })
  const review = await settled(refundId)
  t.match(review, { status: 'needs_review', reviewReason: /get_status3\.php: no answer in time/ })
  t.same((await bankRefunds(paymentId)).map((r) => r.amount), [600_000n], 'the money went back once')

  await clearFaults(faults)
  // would fail the refund, were revoke.php called
  await armFault(faults, { script: 'revoke', mode: 'refuse', count: 1 })
  t.equal((await postJson(`${base}/v1/admin/refunds/${refundId}/retry`, {}, asOperator)).status, 202)
  t.match(await settled(refundId), { status: 'succeeded', bankRefundId: null })
  t.same((await bankRefunds(paymentId)).map((r) => r.amount), [600_000n], 'not refunded twice')
  const { rows: armed } = await sql<{ script: string, remaining: number }>`select script, remaining from sandbox_bank_faults where remaining > 0`.execute(app.db)
  t.same(armed, [{ script: 'revoke', remaining: 1 }], 'revoke.php was not called: its refuse fault is still armed')
})

t.test('(c) a signed refusal is failed; the retry asks the bank again before sending', async (t) => {
  const paymentId = await paidPayment(300_000)
  await armFault(faults, { script: 'revoke', mode: 'refuse', count: 1 })
  const started = await postJson(`${base}/v1/admin/payments/${paymentId}/return`, { reason: 'Платёж признан подозрительным' }, asOperator)
  const refundId = (await started.json() as { id: string }).id
  const failed = await settled(refundId)
  t.match(failed, { status: 'failed', attempts: 1, sentAt: null, lastError: /the bank refused: 490/ })
  t.same(await bankRefunds(paymentId), [])
  t.ok((await get(`/v1/admin/payments/${paymentId}`)).timeline.some((e: Record<string, any>) => e.type === 'refund_failed'))

  // The bank cannot be asked: the retry sends nothing, and says it does not know.
  await armFault(faults, { script: 'get_status3', mode: 'timeout', count: 10 })
  t.equal((await postJson(`${base}/v1/admin/refunds/${refundId}/retry`, {}, asOperator)).status, 202)
  t.match(await settled(refundId), { status: 'needs_review', sentAt: null, reviewReason: /get_status3/ }, 'revoke.php never went out')
  t.same(await bankRefunds(paymentId), [])

  await clearFaults(faults)
  t.equal((await postJson(`${base}/v1/admin/refunds/${refundId}/retry`, {}, asOperator)).status, 202)
  t.match(await settled(refundId), { status: 'succeeded' })
  t.same((await bankRefunds(paymentId)).map((r) => r.amount), [300_000n])
  t.equal((await (await fetch(`${base}/v1/payments/${paymentId}`)).json() as Record<string, any>).status, 'returned')
})

t.test('(d) a refund and a return of one payment, both queued: never both at the bank, never beyond the payment', async (t) => {
  const paymentId = await paidPayment(1_000_000)
  const request = await (await postJson(`${base}/v1/refund-requests`, { paymentId, email: PAYER.email, amount: 300_000, reason: 'x' })).json() as { id: string }
  // The refund goes first and gets no answer: it is in doubt until its retry
  // asks the bank. The return is queued meanwhile, in the same payment queue.
  await armFault(faults, { script: 'revoke', mode: 'timeout', count: 1 })
  const approval = await postJson(`${base}/v1/admin/refund-requests/${request.id}/decision`, { decision: 'approve', responseText: 'ok' }, asOperator)
  const returned = await postJson(`${base}/v1/admin/payments/${paymentId}/return`, { reason: 'подозрительный' }, asOperator)
  t.equal(approval.status, 200)
  t.equal(returned.status, 202)
  const refundId = (await approval.json() as { refund: { id: string } }).refund.id
  const returnId = (await returned.json() as { id: string }).id
  const [refund, ret] = [await settled(refundId), await settled(returnId)]
  t.match([refund.status, ret.status], ['succeeded', 'succeeded'])
  t.equal(refund.amount + ret.amount, 1_000_000, 'together exactly the payment')
  const [first, second] = refund.attempts === 2 ? [refund, ret] : [ret, refund]
  t.match([first.attempts, second.attempts], [2, 1], 'the first timed out once, the second went out once')
  t.ok(new Date(second.sentAt).getTime() > new Date(first.sentAt).getTime(), 'the second was sent after the first was settled')
  const records = await bankRefunds(paymentId)
  t.same(records.map((r) => r.amount), [BigInt(first.amount), BigInt(second.amount)],
    'the sandbox bank got the second only after the first was settled: never both in flight')
  t.equal(await refundedAtBank(paymentId), 1_000_000n, 'and never more than the payment')
  t.equal((await (await fetch(`${base}/v1/payments/${paymentId}`)).json() as Record<string, any>).status, 'returned')
})

t.test('our crash during the last attempt, after the bank refunded: the sweep makes it needs_review, and the retry completes it once', async (t) => {
  const paymentId = await paidPayment(200_000)
  const id = fromPublicId('payment', paymentId) as string
  const bankPaymentId = (await app.db.selectFrom('payments').select('bank_payment_id').where('id', '=', id).executeTakeFirstOrThrow()).bank_payment_id as string
  // A worker sent revoke.php, the bank refunded, and the process died before recording it; no job is left.
  const refundId = uuidv7()
  await app.db.insertInto('refunds').values({ id: refundId, payment_id: id, kind: 'return', amount: 200_000n, attempts: 2, sent_at: new Date() }).execute()
  t.match(await app.bank.refund({ bankPaymentId, amount: 200_000n }), { accepted: true })
  t.equal(await sweepOrphanedRefunds(app.db), 1)
  const publicId = toPublicId('refund', refundId)
  t.match(await get(`/v1/admin/refunds/${publicId}`), { status: 'needs_review', reviewReason: /outcome unknown/ })
  t.equal(await sweepOrphanedRefunds(app.db), 0, 'refunds with a live job are left alone')
  t.equal((await postJson(`${base}/v1/admin/refunds/${publicId}/retry`, {}, asOperator)).status, 202)
  t.match(await settled(publicId), { status: 'succeeded' })
  t.same((await bankRefunds(paymentId)).map((r) => r.amount), [200_000n], 'the money went back once')
})
