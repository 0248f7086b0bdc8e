import { sql, type Kysely } from 'kysely'

// Frozen in time: this file never imports application code.

/**
 * Refund requests are no email oracle (DESIGN 16): wrong emails counted per payment, so guessing the payer's email
 * for a known payment id costs time whatever addresses the guesser uses. The same shape as the lookup's counters
 * (0010): a window started by the first miss, a lock once a miss reaches the threshold, rows purged once expired.
 */
export async function up (db: Kysely<any>): Promise<void> {
  await db.schema.createTable('refund_request_email_failures')
    .addColumn('payment_id', 'uuid', (c) => c.primaryKey().references('payments.id'))
    .addColumn('failures', 'integer', (c) => c.notNull().check(sql`failures >= 1`))
    .addColumn('window_started_at', 'timestamptz', (c) => c.notNull())
    .addColumn('locked_until', 'timestamptz')
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .execute()
  await db.schema.createIndex('refund_request_email_failures_expires_at')
    .on('refund_request_email_failures').column('expires_at').execute()
}
