import t from 'tap'
import { sql } from 'kysely'
import { createKey, eventually } from '../helpers/app.js'
import { fromPublicId } from '../../src/lib/ids.js'
import { accept, createListeningApp, outstandingOf, resultParams, seedDebt, sendCallback, signedCallback, startPayment, submitAtBank } from '../helpers/payments.js'

/**
 * Reservations at the bank's check: the check locks the
 * debt and lets a payment through only if it fits in the outstanding minus
 * what other payments already let through hold. Concurrent payers of one
 * debt are never charged beyond it.
 */
const { app, base, config } = await createListeningApp(t, {
  // twenty payers of one debt within the hour are this test's point, not a risk
  RISK_MAX_PAYMENTS_PER_HOUR_PER_IIN: '100',
  RISK_MAX_PAYMENTS_PER_HOUR_PER_EMAIL: '100',
  RISK_MAX_PAYMENTS_PER_HOUR_PER_IP: '100'
})
const operator = await createKey(app, ['operator'])
const secret = config.bank.secretKey

interface Started { id: string, amount: number, redirectUrl: string }

async function startPayments (debtId: string, amount: number, count: number): Promise<Started[]> {
  const started: Started[] = []
  for (let i = 0; i < count; i++) {
    const acceptance = await accept(base, debtId, { fullName: 'Иванов Иван Иванович', email: `payer${i}@example.kz`, phone: '8 (701) 234-56-78' })
    const response = await startPayment(base, acceptance.id, amount)
    t.equal(response.status, 201, 'each payment alone fits the outstanding, so each may be started')
    started.push(await response.json() as Started)
  }
  return started
}

async function statusOf (id: string): Promise<Record<string, any>> {
  return await (await fetch(`${base}/v1/admin/payments/${id}`, { headers: { authorization: operator.authorization } })).json() as Record<string, any>
}

const checkParams = (payment: { id: string, amount: number, redirectUrl?: string }): Record<string, string> => {
  const { pg_result: _r, pg_payment_date: _d, pg_card_pan: _c, ...rest } = resultParams(payment)
  return rest
}
async function check (payment: Started): Promise<string> {
  const answer = await sendCallback(base, 'check', signedCallback('check', secret, checkParams(payment)))
  return /<pg_status>(\w+)<\/pg_status>/.exec(answer.text)?.[1] ?? answer.text
}

t.test('twenty payers pay one 1 000 ₸ debt at once at the bank: one is charged, nineteen are refused at the check', async (t) => {
  const debt = await seedDebt(app, { outstanding: '1000.00' })
  const payments = await startPayments(debt.id, 100_000, 20)

  // All twenty press Pay on the bank's hosted page at the same moment.
  const pages = await Promise.all(payments.map(async (p) => await submitAtBank(p.redirectUrl)))
  t.same(new Set(pages.map((r) => r.status)), new Set([303]), 'every payer is sent back to us')

  const states = await eventually(async () => {
    const all = await Promise.all(payments.map(async (p) => await statusOf(p.id)))
    return all.every((s) => s.status !== 'pending') ? all : undefined
  })
  t.equal(states.filter((s) => s.status === 'succeeded').length, 1, 'exactly one payment succeeded')
  t.equal(states.filter((s) => s.status === 'failed').length, 19, 'the other nineteen failed')
  t.equal(await outstandingOf(app, debt.id), 0n, 'exactly the outstanding was collected')
  t.ok(states.every((s) => s.overpaidAmount === 0 && s.needsReview === false), 'nothing overpaid, nothing to review')

  // The bank's own records: one card charged, nineteen stopped at our check.
  const orderIds = payments.map((p) => p.id)
  // Our check's refusals: for the holds of others, or, once the one paid has settled, for the debt itself.
  const refusals = ['the amount exceeds what other payments in progress leave of the outstanding balance', 'the amount exceeds the outstanding balance', 'the debt is no longer payable']
  const { rows } = await sql<{ status: string, refused_by_us: boolean, n: number }>`
    select status, coalesce(failure_description in (${sql.join(refusals)}), false) as refused_by_us, count(*)::int as n from sandbox_bank_payments
     where order_id in (${sql.join(orderIds)}) group by 1, 2 order by 1`.execute(app.db)
  t.same(rows, [{ status: 'failed', refused_by_us: true, n: 19 }, { status: 'paid', refused_by_us: false, n: 1 }],
    'the sandbox bank charged exactly one card; the others were refused by our check, before the card')

  const checks = states.flatMap((s) => s.timeline.filter((e: any) => e.kind === 'callback' && e.type === 'check').map((e: any) => e.reply))
  t.same(checks.sort(), ['ok', ...Array(19).fill('rejected')], 'one check let through, nineteen rejected')
})

t.test('a hold lasts until its payment succeeds, fails or expires; a repeated check never holds twice', async (t) => {
  const debt = await seedDebt(app, { outstanding: '2000.00' })
  const [a, b, c] = await startPayments(debt.id, 100_000, 3) as [Started, Started, Started]

  t.equal(await check(a), 'ok', 'A fits: 2 000 outstanding, nothing held')
  t.equal(await check(a), 'ok', 'the bank asks again about A: decided afresh, same answer')
  t.equal(await check(b), 'ok', 'B fits beside A: A is held once, not twice')
  t.equal(await check(c), 'rejected', 'C does not fit: A and B hold the whole outstanding')
  t.equal(await check(b), 'ok', 'B asked again still fits (its own hold is not counted against it)')

  // A fails at the bank: its hold is released, and C now fits.
  await sendCallback(base, 'result', signedCallback('result', secret, resultParams(a, { pg_result: '0', pg_failure_code: '470' })))
  t.equal((await statusOf(a.id)).status, 'failed')
  t.equal(await check(c), 'ok', 'A no longer holds')

  // B succeeds: the outstanding takes it, and its hold ends with it.
  await sendCallback(base, 'result', signedCallback('result', secret, resultParams(b)))
  t.equal(await outstandingOf(app, debt.id), 100_000n)
  t.equal(await check(c), 'ok', 'C holds the 1 000 left')

  // An expired payment holds nothing.
  const [d] = await startPayments(debt.id, 100_000, 1) as [Started]
  t.equal(await check(d), 'rejected', 'C holds the rest')
  await app.db.updateTable('payments').set({ status: 'expired' }).where('id', '=', fromPublicId('payment', c.id) as string).execute()
  t.equal(await check(d), 'ok', 'C expired: D fits')
})

t.test('creating a payment keeps its rule: at most the outstanding, holds or not', async (t) => {
  const debt = await seedDebt(app, { outstanding: '1000.00' })
  const [held] = await startPayments(debt.id, 100_000, 1) as [Started]
  t.equal(await check(held), 'ok')
  const another = await startPayment(base, (await accept(base, debt.id)).id, 100_000)
  t.equal(another.status, 201, 'another payer may still start a payment of the whole outstanding')
  const tooMuch = await startPayment(base, (await accept(base, debt.id)).id, 100_001)
  t.equal(tooMuch.status, 422)
  t.match(await tooMuch.json(), { code: 'amount_exceeds_outstanding' })
})
