import t from 'tap'
import { createKey, createTestApp } from '../helpers/app.js'
import { outstandingOf, seedDebt } from '../helpers/payments.js'
import { fromPublicId } from '../../src/lib/ids.js'
import { kaspiCheck, kaspiPay } from '../../src/modules/payments/kaspi.js'
import { trialBalance } from '../../src/modules/ledger/service.js'

/**
 * Kaspi's check/pay, the money side (DESIGN 17): a pay is credited exactly once per txn_id, whatever repeats it, and
 * always credited once Kaspi has taken the money.
 */
const { app } = await createTestApp(t)
const deps = { db: app.db, pii: app.pii }

async function codeOf (publicId: string): Promise<string> {
  const row = await app.db.selectFrom('debts').select('payment_code')
    .where('id', '=', fromPublicId('debt', publicId) as string).executeTakeFirstOrThrow()
  return row.payment_code
}

async function paymentsOfTxn (txnId: string): Promise<number> {
  const rows = await app.db.selectFrom('payments').select('id').where('kaspi_txn_id', '=', txnId).execute()
  return rows.length
}

async function entriesOfTxn (txnId: string): Promise<number> {
  const rows = await app.db.selectFrom('ledger_entries').innerJoin('payments', 'payments.id', 'ledger_entries.payment_id')
    .select('ledger_entries.id').where('payments.kaspi_txn_id', '=', txnId).execute()
  return rows.length
}

t.test('check shows the masked name, creditor, contract and the outstanding amount, never the IIN', async (t) => {
  const debt = await seedDebt(app, { outstanding: '1500.00', name: 'Сейтқали Айгүл Маратқызы' })
  const answer = JSON.parse(await kaspiCheck(deps, { txnId: 'c-1', account: await codeOf(debt.id) }))
  t.same(answer, {
    txn_id: 'c-1',
    result: 0,
    sum: '1500.00',
    fields: { debtor_name: 'С*** А*** М***', creditor: debt.creditor, contract_number: debt.contract }
  })
  t.notOk(JSON.stringify(answer).includes(debt.iin), 'no IIN')
  t.match(JSON.parse(await kaspiCheck(deps, { txnId: 'c-2', account: '00000000000' })), { result: 1 }, 'an unknown code')
  t.match(JSON.parse(await kaspiCheck(deps, { txnId: 'c-3', account: 'abc' })), { result: 1 }, 'not a code at all')
})

t.test('a txn_id paid 20 times in parallel is credited once, and every answer is the same', async (t) => {
  const debt = await seedDebt(app, { outstanding: '10000.00' })
  const input = { txnId: 'p-parallel', account: await codeOf(debt.id), sum: 150_000n, txnDate: null }
  const answers = await Promise.all(Array.from({ length: 20 }, async () => await kaspiPay(deps, input)))
  t.equal(new Set(answers).size, 1, 'one answer, byte for byte')
  t.match(JSON.parse(answers[0] as string), { txn_id: 'p-parallel', prv_txn_id: /^\d{1,20}$/, result: 0, sum: '1500.00' })
  t.equal(await paymentsOfTxn('p-parallel'), 1, 'one payment')
  t.equal(await entriesOfTxn('p-parallel'), 1, 'one ledger entry')
  t.equal(await outstandingOf(app, debt.id), 1_000_000n - 150_000n)

  // days later, or after a crash between our commit and our reply: the stored answer, nothing booked again
  t.equal(await kaspiPay(deps, { ...input, sum: 999n }), answers[0], 'a later repeat, even with another sum')
  t.equal(await entriesOfTxn('p-parallel'), 1)
})

t.test('a pay for a debt closed or recalled meanwhile is credited and flagged', async (t) => {
  const debt = await seedDebt(app, { outstanding: '100.00' })
  const account = await codeOf(debt.id)
  t.match(JSON.parse(await kaspiPay(deps, { txnId: 'p-close', account, sum: 10_000n, txnDate: null })), { result: 0 })
  t.match(JSON.parse(await kaspiCheck(deps, { txnId: 'c-closed', account })), { result: 3, sum: '0.00' }, 'now paid')
  const late = JSON.parse(await kaspiPay(deps, { txnId: 'p-late', account, sum: 5_000n, txnDate: null }))
  t.match(late, { result: 0 }, 'Kaspi has the money: credited')
  const payment = await app.db.selectFrom('payments').selectAll().where('kaspi_txn_id', '=', 'p-late')
    .executeTakeFirstOrThrow()
  t.match(payment, { channel: 'kaspi', status: 'succeeded', overpaid_amount: 5_000n, needs_review: true, review_reason: 'overpaid', acceptance_id: null })

  const recalled = await seedDebt(app, { outstanding: '100.00' })
  const admin = await createKey(app, ['admin'])
  const patched = await app.inject({
    method: 'PATCH', url: `/v1/admin/debts/${recalled.id}`, headers: { authorization: admin.authorization }, payload: { status: 'recalled' }
  })
  t.equal(patched.statusCode, 200)
  const recalledCode = await codeOf(recalled.id)
  t.match(JSON.parse(await kaspiCheck(deps, { txnId: 'c-rec', account: recalledCode })), { result: 2 }, 'recalled')
  t.match(JSON.parse(await kaspiPay(deps, { txnId: 'p-rec', account: recalledCode, sum: 100n, txnDate: null })),
    { result: 0 }, 'a pay already made in the app is credited all the same')
})

t.test('an unknown code credits nothing', async (t) => {
  t.match(JSON.parse(await kaspiPay(deps, { txnId: 'p-unknown', account: '12345678903', sum: 100n, txnDate: null })), { result: 1 })
  t.equal(await paymentsOfTxn('p-unknown'), 0)
})

t.test('the books tie out', async (t) => {
  t.match(await trialBalance(app.db), { total: 0, consistent: true })
})

t.test('Kaspi\'s txn_date dates the payment only when it is near our clock', async (t) => {
  const { paidAtOf } = await import('../../src/modules/payments/kaspi.js')
  const now = new Date('2026-12-07T10:00:00Z')
  const earlier = new Date('2026-12-06T10:00:00Z')
  t.same(paidAtOf(earlier, now), earlier, 'a day before: Kaspi\'s time, as its registry dates it')
  const monthsAgo = new Date('2026-03-10T10:00:00Z')
  t.same(paidAtOf(monthsAgo, now), monthsAgo, 'months before (a registry test\'s day): still Kaspi\'s')
  t.same(paidAtOf(null, now), now, 'none: ours')
  t.same(paidAtOf(new Date('1970-01-01T00:00:00Z'), now), now, 'long ago: ours')
  t.same(paidAtOf(new Date('2026-12-07T10:10:00Z'), now), now, 'ten minutes ahead: ours')
  t.same(paidAtOf(new Date('2026-12-07T10:04:00Z'), now), new Date('2026-12-07T10:04:00Z'), 'a clock a little ahead')
})
