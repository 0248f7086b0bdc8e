import { sql, type Kysely } from 'kysely'

// Frozen in time: this file never imports application code.

export async function up (db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('payments')
    // Set when the bank's check let the payment through: from then on, while
    // it is pending, its amount is held against the debt's outstanding, so
    // concurrent payers of one debt are never charged beyond it.
    .addColumn('check_passed_at', 'timestamptz')
    // When reconciliation next asks the bank about this pending payment, and
    // how often it has asked (the backoff grows with it).
    .addColumn('next_check_at', 'timestamptz')
    .addColumn('check_attempts', 'integer', (c) => c.notNull().defaultTo(0).check(sql`check_attempts >= 0`))
    .execute()

  // Pending payments made before this migration: ask the bank about them soon.
  await sql`update payments set next_check_at = least(expires_at, now()) where status = 'pending'`.execute(db)

  // The reconciler's scan: due pending payments nobody has flagged, by due time.
  await sql`create index payments_reconcile_due on payments (next_check_at)
    where status = 'pending' and not needs_review and next_check_at is not null`.execute(db)
  // The check's sum of holds on one debt.
  await sql`create index payments_debt_holds on payments (debt_id)
    where status = 'pending' and check_passed_at is not null`.execute(db)

  // A refund the bank reports for a payment we still held pending (made at
  // the bank, not by us): recorded so the books match the bank. It has no
  // client request, like a return.
  await sql`alter table refunds drop constraint refunds_kind_check`.execute(db)
  await sql`alter table refunds add constraint refunds_kind_check check (kind in ('refund', 'return', 'bank_reported'))`.execute(db)
  await sql`create index refunds_bank_reported_pending on refunds (id) where kind = 'bank_reported' and status = 'pending'`.execute(db)
}
