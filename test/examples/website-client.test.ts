import t from 'tap'
import { accept, createListeningApp, PAYER, seedDebt, submitAtBank } from '../helpers/payments.js'
import { makeRow } from '../helpers/portfolio.js'

/**
 * The example client (examples/website-client.ts, typechecked against the generated types by
 * `npm run client:check`) does the website's flow against the real service: it is an example that works.
 * It is loaded by a computed path so that `npm run typecheck` does not need the generated types.
 */
const clientPath = new URL('../../examples/website-client.ts', import.meta.url).href
const example = await import(clientPath) as Record<string, any>

const { app, base } = await createListeningApp(t)

/** What a call the example refuses throws (its ProblemAnswer). */
async function refusal (call: Promise<unknown>): Promise<unknown> {
  try {
    await call
  } catch (error) {
    return error
  }
  throw new Error('expected a refusal')
}

t.test('offer -> lookup -> acceptance -> payment -> the bank -> payment and receipt', async (t) => {
  const debt = await seedDebt(app, { outstanding: '20000.00' })
  const started = await example.startPayingDebt(base, {
    contractNumber: debt.contract,
    iin: debt.iin,
    amount: 500_000,
    payer: PAYER
  })
  t.match(started.payment, { id: /^pay_/, status: 'pending', amount: 500_000, currency: 'KZT', debtId: debt.id })
  t.equal(await started.api.receipt(started.payment), null, 'no receipt before the bank says paid (409 receipt_not_available)')

  t.equal((await submitAtBank(started.payment.redirectUrl)).status, 303)
  t.match(await started.api.payment(started.payment.id), { status: 'succeeded', amount: 500_000 })
  t.match(await started.api.receipt(started.payment), { paymentId: started.payment.id, amount: { amount: 500_000, currency: 'KZT' }, contractNumber: debt.contract })
})

t.test('the refusals it handles arrive with the codes its types name', async (t) => {
  const api = example.websiteClient(base)
  const debt = await seedDebt(app, { outstanding: '20000.00' })
  t.equal(await api.lookupDebt(debt.contract, makeRow(987_654).iin), null, 'someone else\'s IIN: null, as for no such debt')
  t.match(await refusal(api.lookupDebt(debt.contract, '123456789012')), { problem: { status: 422, code: 'invalid_iin' } })

  const offer = await api.currentOffer('ru')
  t.match(await refusal(api.acceptOffer({ ...offer, version: offer.version + 1 }, debt.id, PAYER)), { status: 409, problem: { code: 'offer_outdated', currentVersion: offer.version } })

  const acceptance = await accept(base, debt.id)
  t.match(await refusal(api.startPayment(acceptance.id, 100)), { status: 422, problem: { code: 'amount_below_minimum' } })
  t.match(await refusal(api.startPayment(acceptance.id, 5_000_000)), { status: 422, problem: { code: 'amount_exceeds_outstanding' } })
})
