import t from 'tap'
import { sql } from 'kysely'
import { createEmptyDatabase } from '../helpers/app.js'
import { createMigrator, migrateToLatest } from '../../src/db/migrator.js'
import { debtLedger, trialBalance } from '../../src/modules/ledger/service.js'

/**
 * Migration 0012 on a database with history: every debt, payment and
 * refund gets its entries, so the ledger ties out from day one and each
 * receivable equals the outstanding amount the old code kept.
 */
const db = await createEmptyDatabase(t)

t.test('history before the ledger gets its entries and ties out', async (t) => {
  const before = await createMigrator(db).migrateTo('0011_receipt_secrets')
  t.equal(before.error, undefined)

  const debt = (n: number) => `00000000-0000-7000-8000-0000000000${String(n).padStart(2, '0')}`
  const [a, b, c] = [debt(1), debt(2), debt(3)]
  await sql`
    insert into debts (id, contract_number, contract_number_normalized, debtor_iin_encrypted, debtor_iin_index, debtor_name_encrypted, creditor, outstanding, status, source_hash)
    values (${a}, 'A', 'A', 'x', 'ia', 'x', 'Банк', 6000000, 'active', 'ha'),
           (${b}, 'B', 'B', 'x', 'ib', 'x', 'Банк', 500000, 'active', 'hb'),
           (${c}, 'C', 'C', 'x', 'ic', 'x', 'МФО', 700000, 'recalled', 'hc')`.execute(db)
  const offer = await sql<{ id: string, version: number, sha256: string }>`select id, version, sha256 from offers limit 1`.execute(db)
  const { id: offerId, version, sha256 } = offer.rows[0] as { id: string, version: number, sha256: string }
  for (const [id, debtId] of [[debt(11), a], [debt(12), b]] as const) {
    await sql`insert into acceptances (id, offer_id, offer_version, offer_sha256, debt_id, payer_full_name_encrypted, payer_email_encrypted, payer_email_index, payer_phone_encrypted, ip_encrypted, ip_index, personal_data_consent, consent_expires_at, payable_until)
      values (${id}, ${offerId}, ${version}, ${sha256}, ${debtId}, 'x', 'x', 'e', 'x', 'x', 'i', true, now() + interval '1 year', now() + interval '1 day')`.execute(db)
  }
  // A: claim 100 000 paid 50 000, 10 000 of it refunded -> 60 000 outstanding
  // B: claim 20 000 paid 30 000 (10 000 overpaid), 15 000 refunded -> 5 000 outstanding
  // C: 7 000 outstanding, recalled; and a pending payment on A that counts for nothing
  await sql`insert into payments (id, acceptance_id, debt_id, amount, currency, status, refunded_amount, overpaid_amount, ip_index, iin_index, email_index, expires_at, paid_at)
    values (${debt(21)}, ${debt(11)}, ${a}, 5000000, 'KZT', 'succeeded', 1000000, 0, 'i', 'i', 'e', now(), now() - interval '2 days'),
           (${debt(22)}, ${debt(12)}, ${b}, 3000000, 'KZT', 'succeeded', 1500000, 1000000, 'i', 'i', 'e', now(), now() - interval '2 days'),
           (${debt(23)}, ${debt(11)}, ${a}, 100000, 'KZT', 'pending', 0, 0, 'i', 'i', 'e', now() + interval '1 hour', null)`.execute(db)
  await sql`insert into refunds (id, payment_id, kind, amount, status, completed_at, refund_request_id)
    values (${debt(31)}, ${debt(21)}, 'return', 1000000, 'succeeded', now() - interval '1 day', null),
           (${debt(32)}, ${debt(22)}, 'return', 1500000, 'succeeded', now() - interval '1 day', null)`.execute(db)

  await migrateToLatest(db)

  const balance = await trialBalance(db)
  t.match(balance, { total: 0, consistent: true })
  t.match(balance.accounts, [
    { kind: 'bank', count: 1, balance: 0 }, { kind: 'claims', count: 2 }, { kind: 'clearing', count: 2, balance: 5_500_000 },
    { kind: 'commission', count: 1, balance: 0 }, { kind: 'creditor_payable', count: 0, balance: 0 },
    { kind: 'fees', count: 2, balance: 0 }, { kind: 'overpaid', count: 1, balance: 0 }, { kind: 'receivable', count: 3, balance: 6_500_000 }
  ])
  const ledgerA = await debtLedger(db, a)
  t.match(ledgerA, { claimAmount: 10_000_000, collectedAmount: 4_000_000, outstanding: 6_000_000 })
  t.same(ledgerA?.entries.map((e) => [e.kind, e.amount]), [['claim_assigned', 10_000_000], ['payment_received', -5_000_000], ['payment_returned', 1_000_000]])
  const ledgerB = await debtLedger(db, b)
  t.match(ledgerB, { claimAmount: 2_000_000, collectedAmount: 1_500_000, outstanding: 500_000 })
  t.same(ledgerB?.entries.map((e) => [e.kind, e.amount]), [['claim_assigned', 2_000_000], ['payment_received', -2_000_000], ['payment_returned', 500_000]], 'the overpaid 10 000 went back first')
  const ledgerC = await debtLedger(db, c)
  t.match(ledgerC, { claimAmount: 0, outstanding: 0 })
  t.same(ledgerC?.entries.map((e) => e.kind), ['claim_assigned', 'claim_recalled'])
  const claims = await sql<{ id: string, claim_amount: bigint }>`select id, claim_amount from debts order by id`.execute(db)
  t.same(claims.rows.map((r) => BigInt(r.claim_amount)), [10_000_000n, 2_000_000n, 700_000n], 'each debt keeps its claim as descriptive data')
  const overpaid = await sql<{ overpaid_amount: bigint }>`select overpaid_amount from payments where id = ${debt(22)}`.execute(db)
  t.equal(BigInt(overpaid.rows[0]?.overpaid_amount ?? -1), 0n, 'the payment shows what its overpaid account still holds')
})
