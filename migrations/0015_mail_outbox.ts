import { sql, type Kysely } from 'kysely'

// Frozen in time: this file never imports application code.

export async function up (db: Kysely<any>): Promise<void> {
  // docs/architecture.md, notifications, side effects leave through an outbox: an email is a row written in the same
  // transaction as the fact it tells of; the worker delivers it, at least
  // once, with retries. The recipient is personal data: encrypted, with a
  // blind index so an erasure finds the person's messages.
  await db.schema.createTable('mail_outbox')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('template', 'text', (c) => c.notNull())
    .addColumn('recipient_encrypted', 'text', (c) => c.notNull())
    .addColumn('recipient_index', 'text', (c) => c.notNull())
    // the facts the template shows (formatted; no card data, no IIN)
    .addColumn('data', 'jsonb', (c) => c.notNull())
    // the message as rendered and handed to the mail server
    .addColumn('subject', 'text')
    .addColumn('text_body', 'text')
    .addColumn('html_body', 'text')
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('queued').check(sql`status in ('queued', 'sent', 'failed')`))
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('next_attempt_at', 'timestamptz')
    .addColumn('last_error', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('sent_at', 'timestamptz')
    .addCheckConstraint('mail_outbox_sent', sql`(status = 'sent') = (sent_at is not null and subject is not null and text_body is not null)`)
    .execute()
  await db.schema.createIndex('mail_outbox_status').on('mail_outbox').columns(['status', 'id']).execute()
  await db.schema.createIndex('mail_outbox_recipient').on('mail_outbox').column('recipient_index').execute()
}
