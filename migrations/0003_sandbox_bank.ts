import { sql, type Kysely } from 'kysely'

// Frozen in time: this file never imports application code.

/**
 * The sandbox bank's own ledger (BANK_MODE=sandbox). It plays the acquirer,
 * so it is kept apart from our payments: nothing of ours reads these tables.
 * A card number is never stored, only the bank-style mask.
 */
export async function up (db: Kysely<any>): Promise<void> {
  // one id space for payments and refunds, as the bank gives a refund its own
  // payment id; nine digits like the bank's
  await sql`create sequence sandbox_bank_operation_ids start with 700000001`.execute(db)

  await db.schema.createTable('sandbox_bank_payments')
    .addColumn('id', 'bigint', (c) => c.primaryKey().defaultTo(sql`nextval('sandbox_bank_operation_ids')`))
    .addColumn('merchant_id', 'text', (c) => c.notNull())
    .addColumn('order_id', 'text', (c) => c.notNull().check(sql`length(order_id) between 1 and 255`))
    .addColumn('amount', 'bigint', (c) => c.notNull().check(sql`amount > 0`))
    .addColumn('currency', 'text', (c) => c.notNull().check(sql`currency ~ '^[A-Z]{3}$'`))
    .addColumn('description', 'text', (c) => c.notNull())
    // every parameter of init_payment.php as received (never card data: the card is typed on our page only)
    .addColumn('request_params', 'jsonb', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('pending').check(sql`status in ('pending', 'processing', 'paid', 'failed')`))
    .addColumn('card_mask', 'text', (c) => c.check(sql`card_mask ~ '^[0-9X-]+$'`))
    .addColumn('card_brand', 'text')
    .addColumn('failure_code', 'text')
    .addColumn('failure_description', 'text')
    .addColumn('refunded_amount', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .addColumn('paid_at', 'timestamptz')
    .addColumn('finished_at', 'timestamptz')
    .addCheckConstraint('sandbox_bank_payments_refunds_within_amount', sql`refunded_amount >= 0 and refunded_amount <= amount`)
    .addCheckConstraint('sandbox_bank_payments_refunds_only_when_paid', sql`refunded_amount = 0 or status = 'paid'`)
    .addCheckConstraint('sandbox_bank_payments_paid_has_card', sql`status <> 'paid' or (paid_at is not null and card_mask is not null)`)
    .execute()
  // get_status3.php by pg_order_id answers about the latest payment of that order
  await db.schema.createIndex('sandbox_bank_payments_order').on('sandbox_bank_payments').columns(['merchant_id', 'order_id', 'id']).execute()

  await db.schema.createTable('sandbox_bank_refunds')
    .addColumn('id', 'bigint', (c) => c.primaryKey().defaultTo(sql`nextval('sandbox_bank_operation_ids')`))
    .addColumn('payment_id', 'bigint', (c) => c.notNull().references('sandbox_bank_payments.id'))
    .addColumn('amount', 'bigint', (c) => c.notNull().check(sql`amount > 0`))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute()
  await db.schema.createIndex('sandbox_bank_refunds_payment').on('sandbox_bank_refunds').column('payment_id').execute()
}
