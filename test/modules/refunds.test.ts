import t from 'tap'
import { sql } from 'kysely'
import { createKey, eventually, startTestWorker } from '../helpers/app.js'
import { accept, createListeningApp, outstandingOf, PAYER, postJson, seedDebt, startPayment, submitAtBank } from '../helpers/payments.js'
import { fromPublicId } from '../../src/lib/ids.js'
import { businessDaysAfter } from '../../src/modules/calendar/service.js'
import { flagOverdueRefunds } from '../../src/modules/refunds/execution.js'
import { sandboxBankPayment } from '../helpers/rows.js'

/** offer cl. 5 and 8 over HTTP, with the sandbox bank and the worker running. */
const { app, base, config } = await createListeningApp(t)
await startTestWorker(t, app, config)
const operator = await createKey(app, ['operator'])
const asOperator = { authorization: operator.authorization }

async function paidPayment (amount: number, outstanding = '50000.00') {
  const debt = await seedDebt(app, { outstanding })
  const acceptance = await accept(base, debt.id)
  const payment = await (await startPayment(base, acceptance.id, amount)).json() as { id: string, redirectUrl: string }
  await submitAtBank(payment.redirectUrl)
  return { debt, payment }
}

async function get (path: string, headers: Record<string, string> = {}): Promise<Record<string, any>> {
  return await (await fetch(`${base}${path}`, { headers })).json() as Record<string, any>
}

function decide (id: string, body: Record<string, unknown>) {
  return postJson(`${base}/v1/admin/refund-requests/${id}/decision`, body, asOperator)
}

t.test('request -> approve -> refunded to the card; the payment and the debt show it', async (t) => {
  const { debt, payment } = await paidPayment(1_000_000)
  t.equal(await outstandingOf(app, debt.id), 4_000_000n)
  const created = await postJson(`${base}/v1/refund-requests`, { paymentId: payment.id, email: PAYER.email.toUpperCase(), amount: 400_000, reason: 'Оплатил лишнее' })
  t.equal(created.status, 201)
  const request = await created.json() as Record<string, any>
  t.match(request, { id: /^rfr_/, status: 'submitted', paymentId: payment.id, amount: 400_000, createdAt: String })

  const decision = await decide(request.id, { decision: 'approve', responseText: 'Возврат одобрен' })
  t.equal(decision.status, 200)
  const approved = await decision.json() as Record<string, any>
  t.match(approved, { status: 'approved', responseText: 'Возврат одобрен', decidedAt: String, dueAt: /^\d{4}-\d\d-\d\d$/ })
  t.equal(approved.dueAt, await businessDaysAfter(app.db, new Date(approved.decidedAt), 5), 'due 5 Kazakhstan business days after the answer')

  const done = await eventually(async () => {
    const state = await get(`/v1/refund-requests/${request.id as string}`)
    return state.refund?.status === 'succeeded' ? state : undefined
  })
  t.match(done, { status: 'completed' }, 'the request shows completed once its refund succeeded')
  t.match(done.refund, { kind: 'refund', amount: 400_000, completedAt: String })
  const completed = await get('/v1/admin/refund-requests?status=completed', asOperator)
  t.ok(completed.data.some((r: Record<string, any>) => r.id === request.id), 'and is listed as completed')
  t.match(await get(`/v1/payments/${payment.id}`), { status: 'succeeded', refundedAmount: 400_000 })
  t.equal(await outstandingOf(app, debt.id), 4_400_000n, 'the debt goes back up by the refund')
  const sandbox = await sandboxBankPayment(app.db, payment.id)
  t.equal(BigInt(sandbox?.refunded_amount ?? 0), 400_000n, 'the bank refunded it to the card')

  const rest = await postJson(`${base}/v1/refund-requests`, { paymentId: payment.id, email: PAYER.email, reason: 'и остальное' })
  t.equal((await rest.json() as Record<string, any>).amount, 600_000, 'the amount defaults to what is still refundable')
})

t.test('reject: nothing moves, and the client sees the answer', async (t) => {
  const { debt, payment } = await paidPayment(500_000)
  const request = await (await postJson(`${base}/v1/refund-requests`, { paymentId: payment.id, email: PAYER.email, reason: 'хочу назад' })).json() as Record<string, any>
  const rejected = await (await decide(request.id, { decision: 'reject', responseText: 'Оснований для возврата нет' })).json() as Record<string, any>
  t.match(rejected, { status: 'rejected', responseText: 'Оснований для возврата нет', dueAt: null, refund: null })
  t.match(await get(`/v1/refund-requests/${request.id as string}`), { status: 'rejected', responseText: 'Оснований для возврата нет' })
  t.equal((await get(`/v1/payments/${payment.id}`)).refundedAmount, 0)
  t.equal(await outstandingOf(app, debt.id), 4_500_000n)
  t.equal((await decide(request.id, { decision: 'approve', responseText: 'передумали' })).status, 409, 'an answer is final')
  const log = await get(`/v1/admin/audit-log?entityType=refund_request&entityId=${request.id as string}`, asOperator)
  t.match(log.data, [{ action: 'refund_request.rejected', actorKeyId: operator.id }])
})

t.test('what the client may not ask', async (t) => {
  const { payment } = await paidPayment(300_000)
  const unknown = await postJson(`${base}/v1/refund-requests`, { paymentId: 'pay_00000000000000000000000000000000', email: PAYER.email, reason: 'x' })
  const wrongEmail = await postJson(`${base}/v1/refund-requests`, { paymentId: payment.id, email: 'someone@else.kz', reason: 'x' })
  const a = await unknown.json() as Record<string, any>
  const b = await wrongEmail.json() as Record<string, any>
  t.equal(unknown.status, 404)
  t.equal(wrongEmail.status, 404)
  t.same({ ...a, requestId: null }, { ...b, requestId: null }, 'a wrong email looks exactly like an unknown payment')
  t.match(await (await postJson(`${base}/v1/refund-requests`, { paymentId: payment.id, email: PAYER.email, amount: 300_001, reason: 'x' })).json(), { code: 'amount_exceeds_refundable' })
  t.equal((await postJson(`${base}/v1/refund-requests`, { paymentId: payment.id, email: PAYER.email, reason: '' })).status, 400, 'a reason is required')
  t.equal((await postJson(`${base}/v1/refund-requests`, { paymentId: payment.id, email: PAYER.email, amount: 100_000, reason: 'x' })).status, 201)
  t.match(await (await postJson(`${base}/v1/refund-requests`, { paymentId: payment.id, email: PAYER.email, amount: 100_000, reason: 'y' })).json(), { code: 'refund_request_already_open' })

  const debt = await seedDebt(app)
  const pending = await (await startPayment(base, (await accept(base, debt.id)).id, 100_000)).json() as { id: string }
  t.match(await (await postJson(`${base}/v1/refund-requests`, { paymentId: pending.id, email: PAYER.email, reason: 'x' })).json(), { code: 'payment_not_refundable' })
})

t.test('an email is no oracle: five wrong ones lock the payment for the hour, the right email then gets the same 404', async (t) => {
  const { payment } = await paidPayment(200_000)
  const ask = async (email: string) => await postJson(`${base}/v1/refund-requests`, { paymentId: payment.id, email, reason: 'x' })
  const unknown = await (await postJson(`${base}/v1/refund-requests`, { paymentId: 'pay_00000000000000000000000000000000', email: PAYER.email, reason: 'x' })).json() as Record<string, any>
  for (let i = 0; i < 5; i++) t.equal((await ask(`guess${i}@else.kz`)).status, 404, `wrong email ${i + 1}`)
  const locked = await ask(PAYER.email)
  t.equal(locked.status, 404, 'the payer\'s own email, after five guesses')
  t.same({ ...(await locked.json() as Record<string, any>), requestId: null }, { ...unknown, requestId: null }, 'exactly as an unknown payment')
  const paymentId = fromPublicId('payment', payment.id) as string
  const counted = await sql<{ failures: number }>`select failures from refund_request_email_failures where payment_id = ${paymentId}`.execute(app.db)
  t.equal(counted.rows[0]?.failures, 5, 'the lock counts no further')
  // the hour passes (the lock is the database's time): the payer may ask again
  await sql`update refund_request_email_failures set window_started_at = now() - interval '2 hours', locked_until = now() - interval '1 second', expires_at = now() - interval '1 second' where payment_id = ${paymentId}`.execute(app.db)
  t.equal((await ask(PAYER.email)).status, 201, 'after the hour, the right email is heard')
})

t.test('four wrong emails do not lock the payment', async (t) => {
  const { payment } = await paidPayment(200_000)
  for (let i = 0; i < 4; i++) await postJson(`${base}/v1/refund-requests`, { paymentId: payment.id, email: `typo${i}@else.kz`, reason: 'x' })
  t.equal((await postJson(`${base}/v1/refund-requests`, { paymentId: payment.id, email: PAYER.email, reason: 'x' })).status, 201)
})

t.test('concurrent decisions and returns never refund more than the payment took', async (t) => {
  const { payment } = await paidPayment(1_000_000)
  const request = await (await postJson(`${base}/v1/refund-requests`, { paymentId: payment.id, email: PAYER.email, amount: 700_000, reason: 'x' })).json() as Record<string, any>
  const racers = [
    ...Array.from({ length: 10 }, async () => await decide(request.id, { decision: 'approve', responseText: 'ok' })),
    ...Array.from({ length: 10 }, async () => await postJson(`${base}/v1/admin/payments/${payment.id}/return`, { reason: 'подозрительный' }, asOperator))
  ]
  const statuses = (await Promise.all(racers)).map((r) => r.status)
  t.equal(statuses.slice(0, 10).filter((s) => s === 200).length, 1, 'one approval')
  t.equal(statuses.slice(10).filter((s) => s === 202).length, 1, 'one return')
  t.ok(statuses.every((s) => [200, 202, 409, 422].includes(s)), `every loser gets a clear answer, never a 500 or a deadlock (${statuses.join(',')})`)
  const { total } = await app.db.selectFrom('refunds').select(sql<bigint>`sum(amount)::bigint`.as('total'))
    .where('payment_id', '=', fromPublicId('payment', payment.id) as string).where('status', '<>', 'failed').executeTakeFirstOrThrow()
  t.equal(total, 1_000_000n, 'approval and return together: exactly the payment, never more')
})

t.test('the database itself refuses refunds beyond the payment, even when 20 race', async (t) => {
  const { payment } = await paidPayment(1_000_000)
  const paymentId = fromPublicId('payment', payment.id) as string
  // Bypassing the service on purpose: 20 writers each try to refund 15% at once.
  const attempts = await Promise.allSettled(Array.from({ length: 20 }, async (_, i) =>
    await app.db.transaction().execute(async (trx) => {
      await sql`insert into refunds (id, payment_id, kind, amount) values (${`00000000-0000-7000-8000-${String(i).padStart(12, '0')}`}::uuid, ${paymentId}, 'return', 150000)`.execute(trx)
      await new Promise((resolve) => setTimeout(resolve, 20))
    })))
  const accepted = attempts.filter((a) => a.status === 'fulfilled').length
  t.equal(accepted, 6, 'six times 15% fit in 100%, the seventh does not')
  t.ok(attempts.filter((a) => a.status === 'rejected').every((a) => /exceed its amount/.test(String((a as PromiseRejectedResult).reason))))
})

t.test('a suspicious payment returned: money back at the bank, payment returned, balance restored', async (t) => {
  const { debt, payment } = await paidPayment(800_000)
  const open = await (await postJson(`${base}/v1/refund-requests`, { paymentId: payment.id, email: PAYER.email, amount: 100_000, reason: 'x' })).json() as Record<string, any>
  const started = await postJson(`${base}/v1/admin/payments/${payment.id}/return`, { reason: 'Платёж признан подозрительным' }, asOperator)
  t.equal(started.status, 202)
  t.match(await started.json(), { kind: 'return', status: 'pending', amount: 800_000 })
  const returned = await eventually(async () => {
    const state = await get(`/v1/payments/${payment.id}`)
    return state.status === 'returned' ? state : undefined
  })
  t.equal(returned.refundedAmount, 800_000)
  t.equal(await outstandingOf(app, debt.id), 5_000_000n, 'the debt is back where it was')
  t.match(await get(`/v1/refund-requests/${open.id as string}`), { status: 'rejected', responseText: /п\. 8 оферты/ }, 'the undecided request is closed with an answer')
  const answer = await eventually(async () => (await get('/sandbox/mailbox')).messages.find((m: Record<string, any>) => m.template === 'refund-request-rejected' && String(m.text).includes(open.id as string)))
  t.equal(answer.to, PAYER.email.toLowerCase(), 'and the answer is emailed to the payer (offer cl. 5)')
  const audit = await get(`/v1/admin/audit-log?entityType=payment&entityId=${payment.id}`, asOperator)
  const entry = audit.data.find((e: Record<string, any>) => e.action === 'payment.returned')
  t.notOk('reason' in entry.details, 'the audit log does not keep the reason, which may name people')
  t.same(Object.keys(entry.details), ['amount'], 'nor a digest of it')
  const kept = await app.db.selectFrom('refunds').select('reason_encrypted').where('payment_id', '=', fromPublicId('payment', payment.id) as string).where('kind', '=', 'return').executeTakeFirstOrThrow()
  t.equal(app.pii.decrypt(kept.reason_encrypted as string), 'Платёж признан подозрительным', 'the return keeps it, encrypted')
  const status = await app.bank.getStatus({ orderId: payment.id })
  t.equal(status?.refundedAmount, 800_000n, 'the bank says the money went back')
  t.equal((await postJson(`${base}/v1/admin/payments/${payment.id}/return`, { reason: 'again' }, asOperator)).status, 409)
})

t.test('overdue refunds surface for operators', async (t) => {
  const { payment } = await paidPayment(200_000)
  const request = await (await postJson(`${base}/v1/refund-requests`, { paymentId: payment.id, email: PAYER.email, reason: 'x' })).json() as Record<string, any>
  const requestId = fromPublicId('refundRequest', request.id) as string
  // Approved long ago, with its refund stuck: past the deadline.
  await app.db.transaction().execute(async (trx) => {
    await trx.updateTable('refund_requests').set({ status: 'approved', decided_at: new Date('2026-03-19T10:00:00+05:00'), due_at: '2026-03-31', response_text: 'ok' }).where('id', '=', requestId).execute()
  })
  const listed = await get('/v1/admin/refund-requests?overdue=true', asOperator)
  t.ok(listed.data.some((r: Record<string, any>) => r.id === request.id && r.overdue === true))
  t.ok(await flagOverdueRefunds(app.db) >= 1)
  t.equal((await get(`/v1/refund-requests/${request.id as string}`)).overdue, true)
})

t.test('a payment the bank does not know: the refund is needs_review (not failed), visible, still reserved, and retried by asking the bank', async (t) => {
  const { payment } = await paidPayment(300_000)
  const paymentId = fromPublicId('payment', payment.id) as string
  const bankPaymentId = (await app.db.selectFrom('payments').select('bank_payment_id').where('id', '=', paymentId).executeTakeFirstOrThrow()).bank_payment_id as string
  // get_status3.php answers "no such payment": nothing can be compared, so nothing is sent.
  await app.db.updateTable('payments').set({ bank_payment_id: '999999999' }).where('id', '=', paymentId).execute()
  const started = await (await postJson(`${base}/v1/admin/payments/${payment.id}/return`, { reason: 'x' }, asOperator)).json() as Record<string, any>
  const review = await eventually(async () => {
    const row = await get(`/v1/admin/refunds/${started.id as string}`, asOperator)
    return row.status === 'needs_review' ? row : undefined
  })
  t.match(review, { id: started.id, kind: 'return', paymentId: payment.id, reviewReason: /does not know the payment/, sentAt: null })
  t.equal((await get(`/v1/payments/${payment.id}`)).status, 'succeeded', 'not returned while the money is not back')
  const detail = await get(`/v1/admin/payments/${payment.id}`, asOperator)
  t.ok(detail.timeline.some((e: Record<string, any>) => e.type === 'refund_needs_review'), 'in the payment\'s timeline')
  const listed = await get('/v1/admin/refunds?status=needs_review', asOperator)
  t.ok(listed.data.some((r: Record<string, any>) => r.id === started.id), 'listed for operators')
  t.notOk((await get('/v1/admin/refunds?status=failed', asOperator)).data.some((r: Record<string, any>) => r.id === started.id))
  t.match(await (await postJson(`${base}/v1/refund-requests`, { paymentId: payment.id, email: PAYER.email, reason: 'x' })).json(), { code: 'payment_not_refundable' }, 'its amount stays reserved')

  await app.db.updateTable('payments').set({ bank_payment_id: bankPaymentId }).where('id', '=', paymentId).execute()
  const retried = await postJson(`${base}/v1/admin/refunds/${started.id as string}/retry`, {}, asOperator)
  t.equal(retried.status, 202)
  t.match(await retried.json(), { status: 'pending', attempts: 0, reviewReason: null })
  const done = await eventually(async () => {
    const row = await get(`/v1/admin/refunds/${started.id as string}`, asOperator)
    return row.status === 'succeeded' ? row : undefined
  })
  t.equal(done.attempts, 1)
  t.equal((await get(`/v1/payments/${payment.id}`)).status, 'returned')
  const again = await postJson(`${base}/v1/admin/refunds/${started.id as string}/retry`, {}, asOperator)
  t.equal(again.status, 409)
  t.match(await again.json(), { code: 'refund_not_failed' }, 'only a failed or needs_review refund can be retried')
  const log = await get(`/v1/admin/audit-log?entityType=refund&entityId=${started.id as string}`, asOperator)
  t.match(log.data, [{ action: 'refund.retried', details: { from: 'needs_review' } }])
})

t.test('a payer reads the refund refusals in their language (DESIGN 19)', async (t) => {
  const { payment } = await paidPayment(100_000)
  const refusals = [
    ['GET', '/v1/refund-requests/rfr_00000000000000000000000000000000', undefined, 'refund_request_not_found'],
    ['POST', '/v1/refund-requests', { paymentId: payment.id, email: PAYER.email, amount: 900_000, reason: 'x' },
      'amount_exceeds_refundable']
  ] as const
  for (const [method, path, body, code] of refusals) {
    for (const [language, detail] of [['kk', /өтініш|сома/i], ['en', /refund/i], ['ru', /возврат|Сумма/]] as const) {
      const response = await fetch(`${base}${path}`, {
        method,
        headers: { 'accept-language': language, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) })
      })
      t.equal(response.headers.get('content-language'), language)
      t.match(await response.json(), { code, detail }, `${code} in ${language}`)
    }
  }
})
