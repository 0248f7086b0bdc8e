import t from 'tap'
import { sql } from 'kysely'
import { createTestApp } from '../helpers/app.js'
import { capturePlans, type PlanNode } from '../helpers/plans.js'
import { seedDebt } from '../helpers/payments.js'
import { fromPublicId } from '../../src/lib/ids.js'
import { listPayments } from '../../src/modules/payments/repository.js'
import { listDebts } from '../../src/modules/debts/repository.js'

/**
 * DESIGN 20 and 24: the back office's search costs what it finds, not the tables' history. Over 2,000 debts of one
 * creditor and 20,000 payments on them, each search's statement (captured as the code sends it) reads `payments` and
 * `debts` through an index that fits the filter, never a scan of either table.
 */
const { app, ownerUrl } = await createTestApp(t)
const big = await seedDebt(app, { outstanding: '5000.00', creditor: 'АО «Большой кредитор»' })
const small = await seedDebt(app, { outstanding: '5000.00', creditor: 'ТОО «Малый кредитор»' })
const bigId = fromPublicId('debt', big.id) as string
const smallId = fromPublicId('debt', small.id) as string
await sql`
  insert into debts (id, contract_number, contract_number_normalized, debtor_iin_encrypted, debtor_iin_index,
                     debtor_name_encrypted, creditor, creditor_id, claim_amount, source_hash)
  select gen_random_uuid(), 'P-' || g, 'P-' || g, d.debtor_iin_encrypted, 'iin-' || g, d.debtor_name_encrypted,
         d.creditor, d.creditor_id, 100, 'plan-' || g
    from debts d, generate_series(1, 2000) g
   where d.id = ${bigId}`.execute(app.db)
await sql`
  insert into payments (id, channel, kaspi_txn_id, debt_id, amount, currency, status, expires_at, paid_at,
                        email_index, phone_index)
  select gen_random_uuid(), 'kaspi', (300000000000 + g)::text, d.id, 100, 'KZT', 'succeeded', now(), now(),
         'email-' || (g % 5000), 'phone-' || (g % 5000)
    from generate_series(1, 20000) g
    join lateral (select id from debts where contract_number = 'P-' || (g % 2000 + 1)) d on true`.execute(app.db)
await sql`
  insert into payments (id, channel, kaspi_txn_id, debt_id, amount, currency, status, expires_at, paid_at)
  select gen_random_uuid(), 'kaspi', (400000000000 + g)::text, ${smallId}, 100, 'KZT', 'succeeded', now(), now()
    from generate_series(1, 3) g`.execute(app.db)
await sql`analyze debts`.execute(app.db)
await sql`analyze payments`.execute(app.db)

const codes = await sql<{ payment_code: string, creditor_id: string, debtor_iin_index: string }>`
  select payment_code, creditor_id, debtor_iin_index from debts where id = ${smallId}`.execute(app.db)
const smallDebt = codes.rows[0] as { payment_code: string, creditor_id: string, debtor_iin_index: string }
const bigCreditor = (await sql<{ creditor_id: string }>`select creditor_id from debts where id = ${bigId}`
  .execute(app.db)).rows[0]?.creditor_id as string

// the plan of the last statement the code sent: every node (a bitmap index scan names its index, not its table)
const { db: capturing, plan } = capturePlans(t, ownerUrl)

function usesIndex (found: PlanNode[], index: string | RegExp): boolean {
  return found.some((node) => typeof index === 'string' ? node['Index Name'] === index : index.test(node['Index Name'] ?? ''))
}

/** A sequential scan of a searched table (the ledger's few accounts in this test are not one). */
function scansWhole (node: PlanNode): boolean {
  return node['Node Type'] === 'Seq Scan' && ['payments', 'debts'].includes(node['Relation Name'] ?? '')
}

const page = { limit: 20, startingAfter: null }

t.test('payments by blind index: email and phone read their indexes', async (t) => {
  t.equal((await listPayments(capturing, { ...page, emailIndex: 'email-7' })).length, 4)
  let found = await plan()
  t.ok(usesIndex(found, 'payments_email_created'), JSON.stringify(found))
  t.notOk(found.some((node) => scansWhole(node)), 'no scan of a whole table')

  t.equal((await listPayments(capturing, { ...page, phoneIndex: 'phone-7' })).length, 4)
  found = await plan()
  t.ok(usesIndex(found, 'payments_phone'), JSON.stringify(found))
  t.notOk(found.some((node) => scansWhole(node)), 'no scan of a whole table')
})

t.test('payments by the debt (IIN, payment code, creditor) read debts by index, then payments_debt', async (t) => {
  const filters = [
    { iinIndex: smallDebt.debtor_iin_index },
    { paymentCode: smallDebt.payment_code },
    { creditorId: smallDebt.creditor_id },
    { iinIndex: smallDebt.debtor_iin_index, paymentCode: smallDebt.payment_code, creditorId: smallDebt.creditor_id }
  ]
  for (const debt of filters) {
    t.equal((await listPayments(capturing, { ...page, debt })).length, 3, JSON.stringify(debt))
    const found = await plan()
    t.ok(usesIndex(found, /^payments_debt/), JSON.stringify(found))
    t.ok(usesIndex(found, /^debts_(iin|payment_code|creditor)$/), JSON.stringify(found))
    t.notOk(found.some((node) => scansWhole(node)), 'no scan of a whole table')
  }
  // a creditor with most of the payments: newest first through the primary key, stopping at the page
  t.equal((await listPayments(capturing, { ...page, debt: { creditorId: bigCreditor } })).length, 21)
  const found = await plan()
  t.notOk(found.some((node) => scansWhole(node)), JSON.stringify(found))
})

t.test('payments by channel read (channel, id)', async (t) => {
  await listPayments(capturing, { ...page, channel: 'card' })
  const found = await plan()
  t.ok(usesIndex(found, 'payments_channel_id'), JSON.stringify(found))
  t.notOk(found.some((node) => scansWhole(node)))
})

t.test('debts by IIN and by creditor read debts_iin and debts_creditor', async (t) => {
  t.equal((await listDebts(capturing, { ...page, iinIndex: 'iin-42' })).length, 1)
  let found = await plan()
  t.ok(usesIndex(found, 'debts_iin'), JSON.stringify(found))
  t.notOk(found.some((node) => scansWhole(node)))
  t.equal((await listDebts(capturing, { ...page, creditorId: smallDebt.creditor_id })).length, 1)
  found = await plan()
  t.ok(usesIndex(found, 'debts_creditor'), JSON.stringify(found))
  t.notOk(found.some((node) => scansWhole(node)))
})
