import { sql, type Kysely } from 'kysely'

// Frozen in time: this file never imports application code.

export async function up (db: Kysely<any>): Promise<void> {
  // offer cl. 16: the client withdraws consent in writing; processing stops
  // and the data is destroyed within 30 business days, with a written
  // confirmation on request. The request holds only blind indexes and the
  // encrypted name: the request must not itself become a new copy of the data.
  await db.schema.createTable('privacy_requests')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('email_index', 'text', (c) => c.notNull())
    .addColumn('iin_index', 'text')
    .addColumn('full_name_encrypted', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('received').check(sql`status in ('received', 'on_legal_hold', 'completed')`))
    .addColumn('hold_reason', 'text')
    .addColumn('due_at', 'date', (c) => c.notNull())
    .addColumn('received_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('completed_at', 'timestamptz')
    .addColumn('confirmation_number', 'text', (c) => c.unique())
    .addColumn('erased_counts', 'jsonb')
    .addCheckConstraint('privacy_requests_hold_has_reason', sql`(status = 'on_legal_hold') = (hold_reason is not null)`)
    .addCheckConstraint('privacy_requests_completed', sql`(status = 'completed') = (completed_at is not null and confirmation_number is not null and erased_counts is not null)`)
    .execute()
  await db.schema.createIndex('privacy_requests_status').on('privacy_requests').columns(['status', 'due_at']).execute()
  await db.schema.createIndex('privacy_requests_email').on('privacy_requests').column('email_index').execute()

  // Human-readable numbers of destruction confirmations (PD-2026-000001).
  await sql`create sequence privacy_confirmation_numbers`.execute(db)

  // offer cl. 16: processing for new purposes stops at once; payments refuse
  // an acceptance whose consent was withdrawn.
  await db.schema.alterTable('acceptances').addColumn('consent_withdrawn_at', 'timestamptz').execute()
}
