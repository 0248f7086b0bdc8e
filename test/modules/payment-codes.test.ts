import t from 'tap'
import { sql } from 'kysely'
import { createEmptyDatabase } from '../helpers/app.js'
import { createMigrator, migrateToLatest } from '../../src/db/migrator.js'
import { isPaymentCode } from '../../src/lib/payment-code.js'
import { trialBalance } from '../../src/modules/ledger/service.js'

/**
 * Migration 0029 (DESIGN 17): debts from before payment codes get one each, valid and distinct; a new debt gets one
 * from the column's default; the acquirer account is clearing:card with its balance, beside a clearing:kaspi.
 */
const db = await createEmptyDatabase(t)

t.test('debts from before get a valid, distinct payment code each; new ones draw their own', async (t) => {
  t.equal((await createMigrator(db).migrateTo('0028_service_role')).error, undefined)
  await sql`
    insert into debts (id, contract_number, contract_number_normalized, debtor_iin_encrypted, debtor_iin_index,
                       debtor_name_encrypted, creditor, claim_amount, status, source_hash)
    select gen_random_uuid(), 'C-' || n, 'C-' || n, 'x', 'i' || n, 'x', 'Банк', 100000, 'active', 'h' || n
      from generate_series(1, 25000) n`.execute(db)
  await migrateToLatest(db)

  const codes = (await sql<{ payment_code: string }>`select payment_code from debts`.execute(db)).rows
    .map((r) => r.payment_code)
  t.equal(codes.length, 25000, 'three batches of the backfill')
  t.ok(codes.every(isPaymentCode), 'every code is 10 digits and a Luhn check digit')
  t.equal(new Set(codes).size, 25000, 'no two debts share a code')

  const fresh = await sql<{ payment_code: string }>`
    insert into debts (id, contract_number, contract_number_normalized, debtor_iin_encrypted, debtor_iin_index,
                       debtor_name_encrypted, creditor, creditor_id, claim_amount, status, source_hash)
    values (gen_random_uuid(), 'NEW', 'NEW', 'x', 'inew', 'x', 'Банк', (select id from creditors limit 1), 100000, 'active',
            'hnew')
    returning payment_code`.execute(db)
  t.ok(isPaymentCode(fresh.rows[0]?.payment_code ?? ''), 'a new debt draws its code from the default')
  await t.rejects(sql`update debts set payment_code = ${codes[0]} where contract_number = 'NEW'`.execute(db),
    /debts_payment_code/, 'the unique index refuses a code already taken')
  await t.rejects(sql`update debts set payment_code = '12345' where contract_number = 'NEW'`.execute(db),
    /debts_payment_code_format/, 'and a malformed one')
})

t.test('the acquirer account is clearing:card, clearing:kaspi beside it, the books still tie out', async (t) => {
  const accounts = (await sql<{ key: string, kind: string }>`
    select key, kind from ledger_accounts where kind not in ('receivable', 'claims') order by key`.execute(db)).rows
  // bank and fees: the settlement's accounts (migration 0034); commission: the agency's (0036)
  t.same(accounts, [
    { key: 'bank', kind: 'bank' }, { key: 'clearing:card', kind: 'clearing' }, { key: 'clearing:kaspi', kind: 'clearing' },
    { key: 'commission', kind: 'commission' },
    { key: 'fees:card', kind: 'fees' }, { key: 'fees:kaspi', kind: 'fees' }
  ])
  t.match(await trialBalance(db), { total: 0, consistent: true })
})

t.test('a Kaspi payment has its transaction id and no acceptance; a card payment the reverse', async (t) => {
  const debt = (await sql<{ id: string }>`select id from debts limit 1`.execute(db)).rows[0]?.id as string
  await sql`
    insert into payments (id, channel, kaspi_txn_id, debt_id, amount, currency, expires_at)
    values (gen_random_uuid(), 'kaspi', '900001', ${debt}, 150000, 'KZT', now())`.execute(db)
  await t.rejects(sql`
    insert into payments (id, channel, debt_id, amount, currency, expires_at)
    values (gen_random_uuid(), 'kaspi', ${debt}, 150000, 'KZT', now())`.execute(db),
  /payments_channel_fields/, 'a Kaspi payment without its transaction id')
  await t.rejects(sql`
    insert into payments (id, channel, debt_id, amount, currency, expires_at)
    values (gen_random_uuid(), 'card', ${debt}, 150000, 'KZT', now())`.execute(db),
  /payments_channel_fields/, 'a card payment without an acceptance')
  await t.rejects(sql`
    insert into payments (id, channel, kaspi_txn_id, debt_id, amount, currency, expires_at)
    values (gen_random_uuid(), 'kaspi', '900001', ${debt}, 150000, 'KZT', now())`.execute(db),
  /payments_kaspi_txn/, 'one payment per Kaspi transaction id')
})
