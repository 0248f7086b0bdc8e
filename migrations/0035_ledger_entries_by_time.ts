import { sql, type Kysely } from 'kysely'

// Frozen in time: this file never imports application code.

/**
 * DESIGN 18: the reconciliation reports read any Asia/Almaty date range up to a year. They read the ledger's money
 * entries (payments in, refunds and returns out) by time; without an index that is a scan of every entry ever made,
 * a cost that grows with history (DESIGN 24). The index holds only those kinds, in the report's order.
 */
export async function up (db: Kysely<any>): Promise<void> {
  await sql`
    create index ledger_entries_money_by_time on ledger_entries (created_at, id)
     where kind in ('payment_received', 'refund_paid', 'payment_returned')`.execute(db)
}
