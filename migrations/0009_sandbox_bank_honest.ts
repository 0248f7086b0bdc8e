import { sql, type Kysely } from 'kysely'

// Frozen in time: this file never imports application code.

/**
 * The sandbox bank made honest (docs/architecture.md, safe by default): its result callbacks
 * become durable rows that survive a crash, tests can arm faults that every
 * process of the deployment agrees on, and it keeps no clear personal data.
 */
export async function up (db: Kysely<any>): Promise<void> {
  // One row per callback to deliver; a poller claims due rows (SKIP LOCKED),
  // so a crash between attempts loses nothing. params never hold personal data.
  await db.schema.createTable('sandbox_bank_callbacks')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('payment_id', 'bigint', (c) => c.notNull().references('sandbox_bank_payments.id'))
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('result')`))
    .addColumn('url', 'text', (c) => c.notNull())
    .addColumn('params', 'jsonb', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0).check(sql`attempts >= 0`))
    .addColumn('next_attempt_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('delivered_at', 'timestamptz')
    .addColumn('gave_up_at', 'timestamptz')
    .addColumn('last_error', 'text', (c) => c.check(sql`length(last_error) <= 500`))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addCheckConstraint('sandbox_bank_callbacks_one_end', sql`delivered_at is null or gave_up_at is null`)
    .execute()
  await sql`create index sandbox_bank_callbacks_due on sandbox_bank_callbacks (next_attempt_at)
    where delivered_at is null and gave_up_at is null`.execute(db)
  await db.schema.createIndex('sandbox_bank_callbacks_payment').on('sandbox_bank_callbacks').column('payment_id').execute()

  // Faults armed by tests (POST /sandbox/bank/faults), consumed oldest first, one call each.
  await db.schema.createTable('sandbox_bank_faults')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('script', 'text', (c) => c.notNull().check(sql`script in ('init_payment', 'get_status3', 'revoke', 'result_callback')`))
    .addColumn('mode', 'text', (c) => c.notNull().check(sql`mode in ('timeout', 'error', 'http_500', 'apply_then_timeout')`))
    .addColumn('remaining', 'integer', (c) => c.notNull().check(sql`remaining >= 0`))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute()
  await sql`create index sandbox_bank_faults_armed on sandbox_bank_faults (script, id) where remaining > 0`.execute(db)

  // The payer's phone, email and IP were kept in clear as init_payment.php received them.
  await sql`update sandbox_bank_payments
    set request_params = request_params - array['pg_user_phone', 'pg_user_contact_email', 'pg_user_ip']
    where request_params ?| array['pg_user_phone', 'pg_user_contact_email', 'pg_user_ip']`.execute(db)
}
