import { sql, type Kysely } from 'kysely'

// Frozen in time: this file never imports application code.

export async function up (db: Kysely<any>): Promise<void> {
  // A refund whose outcome at the bank we do not know, or whose bank total
  // does not fit ours, is `needs_review`, never `failed`: it keeps counting
  // against the payment (refunds_within_payment skips only failed ones).
  await sql`alter table refunds drop constraint refunds_status_check`.execute(db)
  await sql`alter table refunds add constraint refunds_status_check
    check (status in ('pending', 'succeeded', 'failed', 'needs_review'))`.execute(db)
  // When revoke.php was last sent for this refund (set before the call, so a
  // crash during it is remembered too): a refund sent without a definite
  // answer is in doubt, and no other refund of the payment goes to the bank
  // until it is settled by asking the bank.
  await db.schema.alterTable('refunds').addColumn('sent_at', 'timestamptz').execute()
  await db.schema.alterTable('refunds').addColumn('review_reason', 'text').execute()
  await db.schema.createIndex('refunds_status').on('refunds').columns(['status', 'id']).execute()

  // A refund request shows `completed` once its refund succeeded.
  await sql`alter table refund_requests drop constraint refund_requests_status_check`.execute(db)
  await sql`alter table refund_requests add constraint refund_requests_status_check
    check (status in ('submitted', 'approved', 'rejected', 'completed'))`.execute(db)
  await sql`update refund_requests q set status = 'completed'
    where status = 'approved' and exists (select 1 from refunds r where r.refund_request_id = q.id and r.status = 'succeeded')`.execute(db)

  // The sandbox bank's `refuse` fault: a signed definite no (tests of `failed`).
  await sql`alter table sandbox_bank_faults drop constraint sandbox_bank_faults_mode_check`.execute(db)
  await sql`alter table sandbox_bank_faults add constraint sandbox_bank_faults_mode_check
    check (mode in ('timeout', 'error', 'http_500', 'apply_then_timeout', 'refuse'))`.execute(db)
}
