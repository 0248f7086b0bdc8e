import t from 'tap'
import { createKey } from '../helpers/app.js'
import { createListeningApp, outstandingOf, postJson, seedDebt } from '../helpers/payments.js'
import { fromPublicId, toPublicId } from '../../src/lib/ids.js'
import { formatKaspiTime } from '../../src/lib/kaspi-time.js'
import { kaspiPay } from '../../src/modules/payments/kaspi.js'
import { trialBalance } from '../../src/modules/ledger/service.js'

/**
 * Issue 23 end to end over real HTTP: the Kaspi sandbox pays by payment code through our channel, Kaspi's registry
 * of the day (as the sandbox writes it) goes into the back office's registry import, which finds the payment Kaspi
 * took but never told us of (missing here) and the one we booked that Kaspi's file lacks (missing there); an
 * operator records a cancellation made in Kaspi's cabinet; the books tie out throughout.
 */
const { app, base } = await createListeningApp(t, { KASPI_MODE: 'sandbox' })
const operator = await createKey(app, ['operator'])

async function codeOf (publicId: string): Promise<string> {
  const row = await app.db.selectFrom('debts').select('payment_code')
    .where('id', '=', fromPublicId('debt', publicId) as string).executeTakeFirstOrThrow()
  return row.payment_code
}

const today = formatKaspiTime(new Date()).replace(/^(\d{4})(\d{2})(\d{2}).*$/, '$1-$2-$3')

t.test('sandbox payments, the day\'s registry compared, an external refund; the books tie out', async (t) => {
  const debt = await seedDebt(app, { outstanding: '5000.00' })
  const account = await codeOf(debt.id)

  const paid = await (await postJson(`${base}/sandbox/kaspi/payments`, { account, amount: 100_000 })).json() as
    { txnId: string, pay: { result: number } }
  t.equal(paid.pay.result, 0, 'paid through the channel')
  const lost = await (await postJson(`${base}/sandbox/kaspi/payments`, { account, amount: 20_000, skipPay: true }))
    .json() as { txnId: string }
  // a payment booked here that Kaspi's file will not have (the sandbox never made it)
  const ours = JSON.parse(await kaspiPay({ db: app.db, pii: app.pii }, {
    txnId: 'only-here-1', account, sum: 30_000n, txnDate: new Date()
  })) as { result: number }
  t.equal(ours.result, 0)
  t.equal(await outstandingOf(app, debt.id), 500_000n - 130_000n, 'the two payments we heard of are credited')

  const csv = await (await fetch(`${base}/sandbox/kaspi/registry?date=${today}`)).text()
  const imported = await fetch(`${base}/v1/admin/channel-registries?channel=kaspi&date=${today}`, {
    method: 'POST', headers: { authorization: operator.authorization, 'content-type': 'text/csv' }, body: csv
  })
  t.equal(imported.status, 201)
  const comparison = await imported.json() as Record<string, any>
  t.equal(comparison.matched, 1, 'the payment both sides have')
  t.match(comparison.missingHere, [{ txnId: lost.txnId, account, sum: 20_000 }], 'Kaspi took it, we never heard')
  t.equal(comparison.missingHere.length, 1)
  t.match(comparison.missingThere, [{ txnId: 'only-here-1', amount: 30_000 }], 'we booked it, Kaspi\'s file lacks it')
  t.equal(comparison.missingThere.length, 1)
  t.same(comparison.amountMismatches, [])

  const again = await fetch(`${base}/v1/admin/channel-registries?channel=kaspi&date=${today}`, {
    method: 'POST', headers: { authorization: operator.authorization, 'content-type': 'text/csv' }, body: csv
  })
  t.equal(again.status, 200, 'the same file again')
  t.same(await again.json(), comparison, 'answers the same')

  const payment = await app.db.selectFrom('payments').select('id').where('kaspi_txn_id', '=', paid.txnId)
    .executeTakeFirstOrThrow()
  const refund = await postJson(`${base}/v1/admin/payments/${toPublicId('payment', payment.id)}/external-refunds`,
    { amount: 40_000, reference: 'KASPI-CANCEL-1' }, { authorization: operator.authorization })
  t.equal(refund.status, 201)
  t.match(await refund.json(), { status: 'succeeded', amount: 40_000 })
  t.equal(await outstandingOf(app, debt.id), 500_000n - 130_000n + 40_000n, 'the cancellation raises the debt back')
  t.match(await trialBalance(app.db), { total: 0, consistent: true })
})
