import t from 'tap'
import { sql } from 'kysely'
import { createTestApp } from '../helpers/app.js'
import { capturePlans, type PlanNode } from '../helpers/plans.js'
import { seedDebt } from '../helpers/payments.js'
import { fromPublicId } from '../../src/lib/ids.js'
import { claimPaymentsToReconcile, countPaymentsSince } from '../../src/modules/payments/repository.js'
import { unsettledCounts, unsettledPaidBefore } from '../../src/modules/settlements/repository.js'

/**
 * DESIGN 24: a periodic sweep costs its window, not the table's history. Over a history of 20,000 settled payments
 * and a handful in the window, each sweep's own statement (captured as the code sends it) is planned through an
 * index that holds only its window (pending, or succeeded and unsettled), never a scan of the payments table.
 */
const { app, ownerUrl } = await createTestApp(t)
const debt = await seedDebt(app, { outstanding: '5000.00' })
const debtId = fromPublicId('debt', debt.id) as string
await sql`
  insert into payments (id, channel, kaspi_txn_id, debt_id, amount, currency, status, expires_at, paid_at, settled_at)
  select gen_random_uuid(), 'kaspi', (100000000000 + g)::text, ${debtId}, 100, 'KZT', 'succeeded', now(), now(), now()
    from generate_series(1, 20000) g`.execute(app.db)
await sql`
  insert into payments (id, channel, kaspi_txn_id, debt_id, amount, currency, status, expires_at, paid_at)
  select gen_random_uuid(), 'kaspi', (200000000000 + g)::text, ${debtId}, 100, 'KZT', 'succeeded', now(),
         now() - interval '10 days'
    from generate_series(1, 5) g`.execute(app.db)
await sql`analyze payments`.execute(app.db)

const { db: capturing, plan } = capturePlans(t, ownerUrl)

/** The plan of the last statement the code sent, for what it reads of `payments`. */
async function paymentsScans (): Promise<PlanNode[]> {
  return (await plan()).filter((node) => node['Relation Name'] === 'payments')
}

t.test('reconciliation (and expiry, which it does) claims through payments_reconcile_due', async (t) => {
  // nothing is pending here, so the claim changes nothing
  t.same(await claimPaymentsToReconcile(capturing, new Date(), 50, { firstSeconds: 30, maxSeconds: 3600 }), [])
  const scans = await paymentsScans()
  // the planner may take the partial index of due payments or the one of pending payments: both hold the window only
  const window = (node: PlanNode): boolean => node['Index Name'] === 'payments_reconcile_due' ||
    (node['Index Name'] === 'payments_status_expires' && /status = 'pending'/.test(node['Index Cond'] ?? ''))
  t.ok(scans.some(window), JSON.stringify(scans))
  t.notOk(scans.some((node) => node['Node Type'] === 'Seq Scan'), 'no scan of the whole table')
})

t.test('the settlement check and the overdue list read payments_unsettled', async (t) => {
  const cutoff = new Date(Date.now() - 5 * 86_400_000)
  t.equal((await unsettledCounts(capturing, cutoff)).get('kaspi'), 5)
  let scans = await paymentsScans()
  t.ok(scans.some((node) => node['Index Name'] === 'payments_unsettled'), JSON.stringify(scans))
  t.notOk(scans.some((node) => node['Node Type'] === 'Seq Scan'))
  t.equal((await unsettledPaidBefore(capturing, { cutoff, limit: 50, startingAfter: null })).length, 5)
  scans = await paymentsScans()
  t.ok(scans.some((node) => node['Index Name'] === 'payments_unsettled'), JSON.stringify(scans))
  t.notOk(scans.some((node) => node['Node Type'] === 'Seq Scan'))
})

t.test('a risk rule reads at most its limit of a busy address\'s payments, however many it made', async (t) => {
  // one address, 300 payments in the hour: the rule needs to know the limit (30) is reached, nothing more
  await sql`
    insert into payments (id, channel, kaspi_txn_id, debt_id, amount, currency, status, expires_at, ip_index)
    select gen_random_uuid(), 'kaspi', (300000000000 + g)::text, ${debtId}, 100, 'KZT', 'pending', now(), 'busy-address'
      from generate_series(1, 300) g`.execute(app.db)
  await sql`analyze payments`.execute(app.db)
  const hourAgo = new Date(Date.now() - 3_600_000)
  t.equal(await countPaymentsSince(capturing, 'ip_index', 'busy-address', hourAgo, 30), 30)
  t.equal(await countPaymentsSince(capturing, 'ip_index', 'quiet-address', hourAgo, 30), 0)
  t.equal(await countPaymentsSince(capturing, 'ip_index', 'busy-address', hourAgo, 30, ['failed']), 0)
  t.equal(await countPaymentsSince(capturing, 'ip_index', 'busy-address', hourAgo, 5000), 300)
  // the first of the four, run: the index is read up to the limit and no further
  const scans = (await plan({ back: 4, analyze: true })).filter((node) => node['Relation Name'] === 'payments')
  t.ok(scans.some((node) => node['Index Name'] === 'payments_ip_created'), JSON.stringify(scans))
  t.ok(scans.every((node) => (node['Actual Rows'] ?? 0) <= 30), JSON.stringify(scans))
})
