import t from 'tap'
import { readFileSync } from 'node:fs'
import { sql } from 'kysely'
import { createKey, eventually } from '../helpers/app.js'
import { fromPublicId } from '../../src/lib/ids.js'
import { armFault, clearFaults } from '../bank/bank-fixtures.js'
import {
  accept, createListeningApp, outstandingOf, resultParams, seedDebt, sendCallback, signedCallback, startPayment,
  submitAtBank
} from '../helpers/payments.js'

/** The bank's callbacks as an attacker, a flaky network and a confused bank would send them. */
const { app, base, config } = await createListeningApp(t)
const operator = await createKey(app, ['operator'])
const secret = config.bank.secretKey
// only an admin key arms the sandbox bank's faults
const faults = { bankUrl: `${base}/sandbox/bank`, adminAuthorization: (await createKey(app, ['admin'])).authorization }

async function pendingPayment (amount = 400_000, outstanding = '10000.00') {
  const debt = await seedDebt(app, { outstanding })
  const acceptance = await accept(base, debt.id)
  const payment = await (await startPayment(base, acceptance.id, amount)).json() as Started
  return { debt, payment }
}

interface Started { id: string, amount: number, redirectUrl: string }

async function expire (id: string): Promise<void> {
  const row = fromPublicId('payment', id) as string
  await app.db.updateTable('payments').set({ status: 'expired' }).where('id', '=', row).execute()
}

async function statusOf (id: string): Promise<Record<string, any>> {
  return await (await fetch(`${base}/v1/admin/payments/${id}`, { headers: { authorization: operator.authorization } })).json() as Record<string, any>
}

t.test('a wrong signature, or any parameter altered after signing, changes nothing', async (t) => {
  const { debt, payment } = await pendingPayment()
  const forged = signedCallback('result', 'not-the-secret', resultParams(payment))
  const answer = await sendCallback(base, 'result', forged)
  t.equal(answer.status, 200)
  t.match(answer.text, /<pg_status>error<\/pg_status>/)

  const honest = signedCallback('result', secret, resultParams(payment))
  for (const [name, value] of [['pg_amount', '1.00'], ['pg_result', '1 '], ['pg_order_id', payment.id + 'x'], ['pg_card_pan', '4111-11XX-XXXX-1112']]) {
    const altered = new URLSearchParams(honest)
    altered.set(name as string, value as string)
    t.match((await sendCallback(base, 'result', altered)).text, /<pg_status>error<\/pg_status>/, `${name as string} altered`)
  }
  const added = new URLSearchParams(honest)
  added.set('pg_extra', '1')
  t.match((await sendCallback(base, 'result', added)).text, /<pg_status>error<\/pg_status>/, 'a parameter added')
  const repeated = await sendCallback(base, 'result', `${honest.toString()}&pg_result=1`)
  t.equal(repeated.status, 400, 'a parameter repeated is not the bank\'s form: refused before anything is stored')
  t.match(JSON.parse(repeated.text), { code: 'validation_failed', errors: [{ path: 'body.pg_result' }] })

  t.equal((await statusOf(payment.id)).status, 'pending')
  t.equal(await outstandingOf(app, debt.id), 1_000_000n)
  const logged = (await statusOf(payment.id)).timeline.filter((e: any) => e.kind === 'callback')
  t.equal(logged.length, 5, 'every forged callback naming this payment is in the log')
  t.ok(logged.every((e: any) => e.signatureValid === false && e.reply === 'error'))
})

t.test('the same valid result sent 10 times at once lowers the debt once, with 10 identical answers', async (t) => {
  const { debt, payment } = await pendingPayment(250_000)
  const body = signedCallback('result', secret, resultParams(payment))
  const answers = await Promise.all(Array.from({ length: 10 }, async () => await sendCallback(base, 'result', body)))
  t.same(new Set(answers.map((a) => a.status)), new Set([200]))
  t.equal(new Set(answers.map((a) => a.text)).size, 1, 'byte-identical answers')
  t.match(answers[0]?.text, /<pg_status>ok<\/pg_status>.*<pg_sig>[0-9a-f]{32}<\/pg_sig>/s)
  t.equal(await outstandingOf(app, debt.id), 1_000_000n - 250_000n)
  const state = await statusOf(payment.id)
  t.equal(state.status, 'succeeded')
  t.equal(state.timeline.filter((e: any) => e.type === 'succeeded').length, 1, 'applied once')

  // The bank re-signs a retry with a fresh salt: still the same callback.
  const resent = await sendCallback(base, 'result', signedCallback('result', secret, resultParams(payment, { pg_payment_id: body.get('pg_payment_id') as string })))
  t.equal(resent.text, answers[0]?.text)
  t.equal(await outstandingOf(app, debt.id), 750_000n)
})

t.test('a result whose amount or currency differs is never marked paid, and is flagged', async (t) => {
  const { debt, payment } = await pendingPayment(300_000)
  const answer = await sendCallback(base, 'result', signedCallback('result', secret, resultParams(payment, { pg_amount: '2000.00' })))
  t.match(answer.text, /<pg_status>ok<\/pg_status>/, 'acknowledged: the bank holds money either way')
  const state = await statusOf(payment.id)
  t.match(state, { status: 'pending', needsReview: true, reviewReason: 'amount_or_currency_mismatch' })
  await sendCallback(base, 'result', signedCallback('result', secret, resultParams({ ...payment }, { pg_currency: 'USD' })))
  t.equal((await statusOf(payment.id)).status, 'pending')
  t.equal(await outstandingOf(app, debt.id), 1_000_000n)
})

t.test('a success after our expiry counts once get_status3 confirms the bank holds the money', async (t) => {
  const { debt, payment } = await pendingPayment(100_000)
  // paid at the bank, and every attempt of its result callback lost, so we let it expire
  await armFault(faults, { script: 'result_callback', mode: 'timeout', count: 4 })
  t.equal((await submitAtBank(payment.redirectUrl)).status, 303)
  await eventually(async () => {
    const { rows } = await sql<{ gave_up: boolean }>`select gave_up_at is not null as gave_up
      from sandbox_bank_callbacks where kind = 'result' and params->>'pg_order_id' = ${payment.id}`.execute(app.db)
    return rows[0]?.gave_up === true
  })
  await clearFaults(faults)
  await expire(payment.id)
  t.equal((await statusOf(payment.id)).status, 'expired')

  const answer = await sendCallback(base, 'result', signedCallback('result', secret, resultParams(payment)))
  t.match(answer.text, /<pg_description>accepted</)
  const state = await statusOf(payment.id)
  t.match(state, { status: 'succeeded', needsReview: false })
  const confirmed = state.timeline.find((e: any) => e.type === 'bank_success_confirmed')
  t.match(confirmed, { details: { source: 'get_status3', after: 'expired', bankStatus: 'succeeded' } })
  t.equal(await outstandingOf(app, debt.id), 900_000n)
})

t.test('a success after our expiry that the bank does not hold is flagged, never credited', async (t) => {
  const { debt, payment } = await pendingPayment(100_000)
  await expire(payment.id)
  const answer = await sendCallback(base, 'result', signedCallback('result', secret, resultParams(payment)))
  t.match(answer.text, /<pg_status>ok<\/pg_status><pg_description>accepted for review</)
  const flagged = { status: 'expired', needsReview: true, reviewReason: 'late_success_unconfirmed' }
  t.match(await statusOf(payment.id), flagged, 'the bank says it is still pending')
  t.equal(await outstandingOf(app, debt.id), 1_000_000n)
})

t.test('failureCode is one of the documented codes: a code the bank sends that is not listed is answered other', async (t) => {
  const document = JSON.parse(readFileSync(new URL('../../openapi/openapi.json', import.meta.url), 'utf8'))
  const documented = (schema: string): string[] => document.components.schemas[schema].properties.failureCode.anyOf
    .flatMap((branch: { enum?: string[] }) => branch.enum ?? [])
  t.same(documented('Payment'), ['101', '400', '470', '600', 'declined', 'expired', 'bank_unavailable', 'other'])
  t.same(documented('PartnerPayment'), documented('Payment'))
  for (const [sent, answered] of [['9731', 'other'], ['<weird code>', 'other'], ['101', '101']] as const) {
    const { payment } = await pendingPayment(100_000)
    await sendCallback(base, 'result', signedCallback('result', secret, resultParams(payment, { pg_result: '0', pg_failure_code: sent })))
    const state = await statusOf(payment.id)
    t.match(state, { status: 'failed', failureCode: answered }, sent)
    t.ok(documented('Payment').includes(state.failureCode), 'an answer in the documented enum')
    const failed = state.timeline.find((e: { kind: string, type: string }) => e.kind === 'event' && e.type === 'failed')
    t.match(failed.details, { failureCode: sent }, 'the timeline keeps the code as the bank sent it')
    const publicView = await fetch(`${base}/v1/payments/${payment.id}`)
    t.equal(publicView.status, 200, 'the public view too: never a serialization failure')
    t.match(await publicView.json(), { failureCode: answered })
  }
})

t.test('a failure result fails a pending payment; it never undoes a success', async (t) => {
  const { debt, payment } = await pendingPayment(100_000)
  await sendCallback(base, 'result', signedCallback('result', secret, resultParams(payment, { pg_result: '0', pg_failure_code: '470' })))
  t.match(await statusOf(payment.id), { status: 'failed', failureCode: '470' })

  const paid = await pendingPayment(100_000)
  await sendCallback(base, 'result', signedCallback('result', secret, resultParams(paid.payment)))
  await sendCallback(base, 'result', signedCallback('result', secret, resultParams(paid.payment, { pg_result: '0' })))
  t.equal((await statusOf(paid.payment.id)).status, 'succeeded')
  t.equal(await outstandingOf(app, debt.id), 1_000_000n)
})

t.test('check: rejected when the payment may not proceed', async (t) => {
  const checkParams = (payment: { id: string, amount: number }, overrides: Record<string, string> = {}) => {
    const { pg_result: _r, pg_payment_date: _d, pg_card_pan: _c, ...rest } = resultParams(payment, overrides)
    return rest
  }
  const ok = await pendingPayment(100_000)
  t.match((await sendCallback(base, 'check', signedCallback('check', secret, checkParams(ok.payment)))).text, /<pg_status>ok<\/pg_status>/)
  t.match((await sendCallback(base, 'check', signedCallback('check', secret, checkParams(ok.payment, { pg_amount: '999.00' })))).text, /<pg_status>rejected<\/pg_status>/, 'amount differs')

  const closing = await pendingPayment(100_000)
  await app.inject({ method: 'PATCH', url: `/v1/admin/debts/${closing.debt.id}`, headers: { authorization: operator.authorization }, payload: { status: 'recalled' } })
  t.match((await sendCallback(base, 'check', signedCallback('check', secret, checkParams(closing.payment)))).text, /<pg_status>rejected<\/pg_status>/, 'debt recalled')

  const unknown = { id: 'pay_00000000000000000000000000000000', amount: 100 }
  t.match((await sendCallback(base, 'check', signedCallback('check', secret, checkParams(unknown)))).text, /<pg_status>rejected<\/pg_status>/, 'unknown order')
  t.match((await sendCallback(base, 'check', signedCallback('check', 'wrong', checkParams(ok.payment)))).text, /<pg_status>error<\/pg_status>/, 'bad signature')
})
