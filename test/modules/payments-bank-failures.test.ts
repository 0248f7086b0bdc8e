import t, { type Test } from 'tap'
import { sql } from 'kysely'
import { createTestApp, eventually } from '../helpers/app.js'
import { accept, freePort, outstandingOf, seedDebt, startPayment, submitAtBank } from '../helpers/payments.js'
import { closedPortUrl, startFakeBank } from '../bank/bank-fixtures.js'
import { reconcilePayments } from '../../src/modules/payments/reconcile.js'
import { bankReportedRefunds } from '../../src/modules/refunds/bank-reported.js'
import { signedXml } from '../../src/bank/xml-signature.js'

/**
 * When the bank is down, slow, or its result never reaches us: the payment
 * record is never lost, and reconciliation asks the bank before deciding.
 */
async function listening (t: Test, env: Record<string, string> = {}) {
  const port = await freePort()
  const base = `http://127.0.0.1:${port}`
  const created = await createTestApp(t, { PUBLIC_BASE_URL: base, ...env })
  await created.app.listen({ port, host: '127.0.0.1' })
  return { ...created, base }
}

async function paymentState (base: string, id: string): Promise<Record<string, any>> {
  return await (await fetch(`${base}/v1/payments/${id}`)).json() as Record<string, any>
}

t.test('the bank refuses or is unreachable: 502, and the payment is recorded as failed', async (t) => {
  const { app, base } = await listening(t, { BANK_BASE_URL: `${await closedPortUrl()}/bank` })
  const debt = await seedDebt(app)
  const acceptance = await accept(base, debt.id)
  const response = await startPayment(base, acceptance.id, 100_000, 'down-1')
  t.equal(response.status, 502)
  const body = await response.json() as Record<string, any>
  t.match(body, { code: 'bank_unavailable', paymentId: /^pay_/, paymentStatus: 'failed' })
  t.match(await paymentState(base, body.paymentId), { status: 'failed', failureCode: 'bank_unavailable' })
  const replay = await startPayment(base, acceptance.id, 100_000, 'down-1')
  t.equal(replay.status, 502)
  t.equal((await replay.json() as Record<string, any>).paymentId, body.paymentId, 'a retry with the key reports the same payment')
})

t.test('the bank does not answer in time: 502, the payment stays pending, reconciliation settles it', async (t) => {
  // Hangs on init; for status, a signed "no such payment" (error 340), as the real bank answers.
  const bank = await startFakeBank(t, (script) => script === 'init_payment.php'
    ? 'hang'
    : { body: signedXml('get_status3.php', { pg_status: 'error', pg_error_code: '340', pg_error_description: 'Платеж не найден' }, 'sandbox-secret-key') })
  const { app, base } = await listening(t, { BANK_BASE_URL: bank.url, BANK_TIMEOUT_MS: '300' })
  const debt = await seedDebt(app)
  const acceptance = await accept(base, debt.id)
  const response = await startPayment(base, acceptance.id, 100_000)
  t.equal(response.status, 502)
  const body = await response.json() as Record<string, any>
  t.match(body, { code: 'bank_unavailable', paymentStatus: 'pending', clientSecret: new RegExp(`^${body.paymentId as string}_secret_`) }, 'the payment may still succeed: the payer gets the key to its receipt')
  t.equal((await paymentState(base, body.paymentId)).status, 'pending', 'kept for reconciliation')

  const reconcileDeps = { db: app.db, bank: app.bank, log: app.log, refunds: bankReportedRefunds }
  const soon = await reconcilePayments(reconcileDeps, new Date(Date.now() + 5 * 60_000))
  t.equal(soon.checked, 1, 'an init without a bank id is checked after a grace period')
  t.equal((await paymentState(base, body.paymentId)).status, 'pending', 'the bank does not know it yet, and it has not expired')
  t.ok(bank.requests.some((r) => r.script === 'get_status3.php' && r.params.get('pg_order_id') === body.paymentId), 'asked by order id')
  await reconcilePayments(reconcileDeps, new Date(Date.now() + 3 * 3600_000))
  t.equal((await paymentState(base, body.paymentId)).status, 'expired')
})

t.test('the result never reached us: reconciliation finds the money at the bank; unpaid ones expire', async (t) => {
  const { app, base } = await listening(t)
  const debt = await seedDebt(app, { outstanding: '10000.00' })
  const paidAcceptance = await accept(base, debt.id)
  const paid = await (await startPayment(base, paidAcceptance.id, 300_000)).json() as {
    id: string
    redirectUrl: string
  }
  const unpaid = await (await startPayment(base, (await accept(base, debt.id)).id, 200_000)).json() as { id: string }

  // Our database fails while the result callback is handled (an outage): the bank retries, then gives up.
  await sql`create function fail_results() returns trigger language plpgsql as $$ begin
    if new.kind = 'result' then raise exception 'simulated outage'; end if; return new; end $$`.execute(app.db)
  await sql`create trigger fail_results before insert on bank_callbacks for each row execute function fail_results()`.execute(app.db)
  t.equal((await submitAtBank(paid.redirectUrl)).status, 303, 'the payer paid at the bank')
  // the outage lasts until the bank has given up retrying its result
  await eventually(async () => {
    const { rows } = await sql<{ gave_up: boolean }>`select gave_up_at is not null as gave_up from sandbox_bank_callbacks where params->>'pg_order_id' = ${paid.id}`.execute(app.db)
    return rows[0]?.gave_up === true
  })
  await sql`drop trigger fail_results on bank_callbacks`.execute(app.db)
  t.equal((await paymentState(base, paid.id)).status, 'pending', 'we do not know yet')
  t.equal(await outstandingOf(app, debt.id), 1_000_000n)

  const reconcileDeps = { db: app.db, bank: app.bank, log: app.log, refunds: bankReportedRefunds }
  const result = await reconcilePayments(reconcileDeps, new Date(Date.now() + 3600_000))
  t.match(result, { checked: 2, succeeded: 1, expired: 1 })
  t.match(await paymentState(base, paid.id), { status: 'succeeded', cardMask: '4111-11XX-XXXX-1111' })
  t.equal((await paymentState(base, unpaid.id)).status, 'expired', 'never paid: expired only after asking the bank')
  t.equal(await outstandingOf(app, debt.id), 700_000n, 'lowered once, by the paid one')

  const again = await reconcilePayments(reconcileDeps, new Date(Date.now() + 3600_000))
  t.equal(again.checked, 0, 'settled payments are not asked about again')
})
