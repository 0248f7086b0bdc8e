import t from 'tap'
import { createKey } from '../helpers/app.js'
import { accept, createListeningApp, outstandingOf, postJson, resultParams, seedDebt, sendCallback, signedCallback, startPayment, submitAtBank } from '../helpers/payments.js'

/**
 * The heart of the product over real HTTP: lookup, acceptance, payment, the
 * sandbox bank's page, its signed callbacks, and the debt's balance.
 */
const { app, base, config } = await createListeningApp(t)
const operator = await createKey(app, ['operator'])

t.test('pay: lookup -> acceptance -> payment -> Pay at the bank -> succeeded, balance lowered once', async (t) => {
  const debt = await seedDebt(app, { outstanding: '50000.00' })
  const lookup = await postJson(`${base}/v1/debts/lookup`, { contractNumber: debt.contract, iin: debt.iin })
  t.equal(lookup.status, 200)
  t.equal((await lookup.json() as { debtId: string }).debtId, debt.id)

  const acceptance = await accept(base, debt.id)
  const first = await startPayment(base, acceptance.id, 1_500_000, 'order-key-1', { returnUrl: `${base}/v1/offer?from=bank` })
  t.equal(first.status, 201)
  const payment = await first.json() as {
    id: string
    status: string
    redirectUrl: string
    amount: number
    debtId: string
    expiresAt: string
    clientSecret: string
  }
  t.match(payment, { id: /^pay_/, status: 'pending', amount: 1_500_000, currency: 'KZT', debtId: debt.id, redirectUrl: `${base}/sandbox/bank/pay/` })
  t.match(payment.clientSecret, new RegExp(`^${payment.id}_secret_[A-Za-z0-9_-]{32}$`), 'the receipt\'s key, shown once')

  const retry = await startPayment(base, acceptance.id, 1_500_000, 'order-key-1', { returnUrl: `${base}/v1/offer?from=bank` })
  t.equal(retry.status, 201)
  t.equal(retry.headers.get('idempotent-replayed'), 'true')
  t.same(await retry.json(), payment, 'a retry with the same key is the same payment, with the same client secret (the first answer may have been lost)')

  const page = await fetch(payment.redirectUrl)
  t.equal(page.status, 200)
  const html = await page.text()
  t.match(html, /15\s?000[.,]00/, 'the page shows the amount in tenge')
  t.match(html, /4111 1111 1111 1111/)

  const paid = await submitAtBank(payment.redirectUrl)
  t.equal(paid.status, 303)
  const location = new URL(paid.headers.get('location') as string)
  t.equal(location.searchParams.get('result'), 'success')
  t.equal(location.searchParams.get('paymentId'), payment.id)

  const state = await (await fetch(`${base}/v1/payments/${payment.id}`)).json() as Record<string, unknown>
  t.match(state, { status: 'succeeded', amount: 1_500_000, refundedAmount: 0, overpaidAmount: 0, cardMask: '4111-11XX-XXXX-1111', failureCode: null, paidAt: /^\d{4}-/ })
  t.equal(await outstandingOf(app, debt.id), 5_000_000n - 1_500_000n, 'the balance went down by the amount, once')

  // The bank's page reloaded or Pay pressed again: nothing is charged twice.
  const again = await submitAtBank(payment.redirectUrl)
  t.equal(again.status, 303)
  t.equal(await outstandingOf(app, debt.id), 3_500_000n)

  const receipt = await fetch(`${base}/v1/payments/${payment.id}/receipt`, { headers: { 'x-client-secret': payment.clientSecret } })
  t.equal(receipt.status, 200)
  t.match(await receipt.json(), { paymentId: payment.id, payerName: 'Иванов Иван Иванович', contractNumber: debt.contract, creditor: debt.creditor, amount: { amount: 1_500_000, currency: 'KZT' }, agency: { bin: '151040003422', iban: 'KZ58551A127100213KZT' }, cardMask: '4111-11XX-XXXX-1111', bankPaymentId: /^\d+$/ })

  const detail = await (await fetch(`${base}/v1/admin/payments/${payment.id}`, { headers: { authorization: operator.authorization } })).json() as { timeline: Array<{ kind: string, type: string, signatureValid?: boolean, reply?: string }>, contractNumber: string }
  t.equal(detail.contractNumber, debt.contract)
  const callbacks = detail.timeline.filter((e) => e.kind === 'callback').map((e) => [e.type, e.signatureValid, e.reply])
  t.same(callbacks, [['check', true, 'ok'], ['result', true, 'ok']], 'the bank asked, then told, both signed, both accepted')
  t.ok(detail.timeline.some((e) => e.type === 'succeeded'))

  const list = await (await fetch(`${base}/v1/admin/payments?status=succeeded&contractNumber=${encodeURIComponent(debt.contract)}`, { headers: { authorization: operator.authorization } })).json() as { data: Array<{ id: string }> }
  t.same(list.data.map((p) => p.id), [payment.id])
})

t.test('decline: the payment fails and the balance stays', async (t) => {
  const debt = await seedDebt(app, { outstanding: '20000.00' })
  const acceptance = await accept(base, debt.id)
  const payment = await (await startPayment(base, acceptance.id, 500_000)).json() as {
    id: string
    redirectUrl: string
    clientSecret: string
  }
  const declined = await submitAtBank(payment.redirectUrl, 'decline')
  t.equal(declined.status, 303)
  t.equal(new URL(declined.headers.get('location') as string).searchParams.get('result'), 'failure')
  const state = await (await fetch(`${base}/v1/payments/${payment.id}`)).json() as Record<string, unknown>
  t.match(state, { status: 'failed', paidAt: null, failureCode: String })
  t.equal(await outstandingOf(app, debt.id), 2_000_000n)
  const receipt = await fetch(`${base}/v1/payments/${payment.id}/receipt`, { headers: { 'x-client-secret': payment.clientSecret } })
  t.equal(receipt.status, 409)
  t.equal((await receipt.json() as { code: string }).code, 'receipt_not_available')
})

t.test('a declining test card fails too', async (t) => {
  const debt = await seedDebt(app, { outstanding: '20000.00' })
  const acceptance = await accept(base, debt.id)
  const payment = await (await startPayment(base, acceptance.id, 500_000)).json() as { id: string, redirectUrl: string }
  await submitAtBank(payment.redirectUrl, 'pay', '4000 0000 0000 0002')
  const state = await (await fetch(`${base}/v1/payments/${payment.id}`)).json() as Record<string, unknown>
  t.equal(state.status, 'failed')
  t.equal(await outstandingOf(app, debt.id), 2_000_000n)
})

t.test('two payments that together exceed the balance: it stops at zero, the excess is kept and flagged', async (t) => {
  const debt = await seedDebt(app, { outstanding: '10000.00' })
  const a = await (await startPayment(base, (await accept(base, debt.id)).id, 700_000)).json() as {
    id: string
    amount: number
  }
  const b = await (await startPayment(base, (await accept(base, debt.id)).id, 600_000)).json() as {
    id: string
    amount: number
  }
  // Both passed the bank's check while the balance still covered each; now both results arrive.
  for (const p of [a, b]) {
    const answer = await sendCallback(base, 'result', signedCallback('result', config.bank.secretKey, resultParams(p)))
    t.match(answer.text, /<pg_status>ok<\/pg_status>/)
  }
  const states = await Promise.all([a, b].map(async (p) => await (await fetch(`${base}/v1/admin/payments/${p.id}`, { headers: { authorization: operator.authorization } })).json() as Record<string, any>))
  t.same(states.map((s) => s.status), ['succeeded', 'succeeded'], 'the bank took both: both count')
  t.equal(await outstandingOf(app, debt.id), 0n, 'the debt stops at zero')
  const overpaid = states.reduce((sum, s) => sum + s.overpaidAmount, 0)
  t.equal(overpaid, 300_000, 'the excess is recorded')
  t.equal(1_000_000 + overpaid, 700_000 + 600_000, 'no money lost from the books: applied + overpaid = paid')
  t.ok(states.some((s) => s.needsReview === true && s.reviewReason === 'overpaid'), 'flagged for an operator')
  const flagged = await (await fetch(`${base}/v1/admin/payments?needsReview=true`, { headers: { authorization: operator.authorization } })).json() as { data: Array<{ id: string }> }
  t.ok(flagged.data.some((p) => p.id === a.id || p.id === b.id))
  const closed = await postJson(`${base}/v1/debts/lookup`, { contractNumber: debt.contract, iin: debt.iin })
  t.equal(closed.status, 404, 'a paid-off debt is closed')
})
