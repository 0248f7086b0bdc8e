import { sql, type Kysely } from 'kysely'

// Frozen in time: this file never imports application code.

export async function up (db: Kysely<any>): Promise<void> {
  // Evidence of acceptance of the offer (offer cl. 2, 14, 15, 18). Personal
  // data is encrypted; the blind index of the email serves refund requests
  // and risk rules.
  await db.schema.createTable('acceptances')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('offer_id', 'uuid', (c) => c.notNull().references('offers.id'))
    .addColumn('offer_version', 'integer', (c) => c.notNull())
    .addColumn('offer_sha256', 'text', (c) => c.notNull())
    .addColumn('debt_id', 'uuid', (c) => c.notNull().references('debts.id'))
    .addColumn('payer_full_name_encrypted', 'text', (c) => c.notNull())
    .addColumn('payer_email_encrypted', 'text', (c) => c.notNull())
    .addColumn('payer_email_index', 'text', (c) => c.notNull())
    .addColumn('payer_phone_encrypted', 'text', (c) => c.notNull())
    .addColumn('ip_encrypted', 'text', (c) => c.notNull())
    .addColumn('ip_index', 'text', (c) => c.notNull())
    .addColumn('user_agent', 'text')
    .addColumn('personal_data_consent', 'boolean', (c) => c.notNull().check(sql`personal_data_consent`))
    .addColumn('accepted_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('consent_expires_at', 'timestamptz', (c) => c.notNull())
    .addColumn('payable_until', 'timestamptz', (c) => c.notNull())
    .execute()
  await db.schema.createIndex('acceptances_email_index').on('acceptances').column('payer_email_index').execute()

  await db.schema.createTable('payments')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('acceptance_id', 'uuid', (c) => c.notNull().references('acceptances.id'))
    .addColumn('debt_id', 'uuid', (c) => c.notNull().references('debts.id'))
    .addColumn('amount', 'bigint', (c) => c.notNull().check(sql`amount > 0`))
    .addColumn('currency', 'text', (c) => c.notNull().check(sql`currency = 'KZT'`))
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('pending').check(sql`status in ('pending', 'succeeded', 'failed', 'expired', 'returned')`))
    .addColumn('refunded_amount', 'bigint', (c) => c.notNull().defaultTo(0))
    // The part of a payment the debt could not absorb (two payments racing
    // for the same balance): kept, never lost, and flagged for an operator.
    .addColumn('overpaid_amount', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('bank_payment_id', 'text', (c) => c.unique())
    .addColumn('redirect_url', 'text')
    .addColumn('return_url', 'text')
    .addColumn('card_mask', 'text')
    .addColumn('failure_code', 'text')
    .addColumn('needs_review', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('review_reason', 'text')
    .addColumn('ip_index', 'text', (c) => c.notNull())
    .addColumn('iin_index', 'text', (c) => c.notNull())
    .addColumn('email_index', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .addColumn('paid_at', 'timestamptz')
    .addCheckConstraint('payments_refunded_within_amount', sql`refunded_amount >= 0 and refunded_amount <= amount`)
    .addCheckConstraint('payments_overpaid_within_amount', sql`overpaid_amount >= 0 and overpaid_amount <= amount`)
    .addCheckConstraint('payments_paid_has_time', sql`status not in ('succeeded', 'returned') or paid_at is not null`)
    .execute()
  await db.schema.createIndex('payments_debt').on('payments').column('debt_id').execute()
  await db.schema.createIndex('payments_status_expires').on('payments').columns(['status', 'expires_at']).execute()
  await db.schema.createIndex('payments_ip_created').on('payments').columns(['ip_index', 'created_at']).execute()
  await db.schema.createIndex('payments_iin_created').on('payments').columns(['iin_index', 'created_at']).execute()
  await db.schema.createIndex('payments_email_created').on('payments').columns(['email_index', 'created_at']).execute()

  // The payment's timeline: every state change and notable fact, in order.
  await db.schema.createTable('payment_events')
    .addColumn('id', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('payment_id', 'uuid', (c) => c.notNull().references('payments.id'))
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('details', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute()
  await db.schema.createIndex('payment_events_payment').on('payment_events').columns(['payment_id', 'id']).execute()

  // Every callback the bank sent, raw (encrypted: it holds the payer's
  // contacts), with our verdict on its signature and the exact reply, so a
  // repeated callback gets the identical answer and its effects apply once.
  await db.schema.createTable('bank_callbacks')
    .addColumn('id', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('check', 'result')`))
    .addColumn('payment_id', 'uuid', (c) => c.references('payments.id'))
    .addColumn('order_id', 'text')
    .addColumn('signature_valid', 'boolean', (c) => c.notNull())
    .addColumn('dedupe_key', 'text', (c) => c.unique())
    .addColumn('raw_encrypted', 'text', (c) => c.notNull())
    .addColumn('reply_status', 'text', (c) => c.notNull())
    .addColumn('reply_description', 'text', (c) => c.notNull())
    .addColumn('reply_xml', 'text', (c) => c.notNull())
    .addColumn('received_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addCheckConstraint('bank_callbacks_dedupe_only_valid', sql`signature_valid or dedupe_key is null`)
    .execute()
  await db.schema.createIndex('bank_callbacks_payment').on('bank_callbacks').column('payment_id').execute()

  // Refused attempts (offer cl. 8): what rule, for whom (blind indexes only).
  await db.schema.createTable('payment_refusals')
    .addColumn('id', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('acceptance_id', 'uuid', (c) => c.references('acceptances.id'))
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('amount', 'bigint', (c) => c.notNull())
    .addColumn('ip_index', 'text', (c) => c.notNull())
    .addColumn('iin_index', 'text', (c) => c.notNull())
    .addColumn('email_index', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute()
}
