import { sql, type Kysely } from 'kysely'

// Frozen in time: this file never imports application code.

/**
 * docs/architecture.md, personal data: a consent withdrawal is an act of the data subject, so it
 * is verified first. A request waits (`pending_verification`) for the
 * one-time code emailed to the address it names; nothing changes until the
 * code comes back. Five wrong codes or thirty minutes make it `expired`.
 */
export async function up (db: Kysely<any>): Promise<void> {
  await sql`alter table privacy_requests drop constraint privacy_requests_status_check`.execute(db)
  await db.schema.alterTable('privacy_requests')
    .addCheckConstraint('privacy_requests_status_check', sql`status in ('pending_verification', 'expired', 'received', 'on_legal_hold', 'completed')`)
    .execute()
  await sql`alter table privacy_requests alter column status set default 'pending_verification'`.execute(db)
  await db.schema.alterTable('privacy_requests')
    // HMAC-SHA256 of the code under the blind-index key, bound to the request: the code itself is never stored
    .addColumn('verification_code_hash', 'text')
    .addColumn('verification_expires_at', 'timestamptz')
    .addColumn('verification_attempts', 'integer', (c) => c.notNull().defaultTo(0).check(sql`verification_attempts >= 0`))
    .addColumn('verified_at', 'timestamptz')
    // where the destruction confirmation goes (offer cl. 16); erased with the rest once it is handed over
    .addColumn('email_encrypted', 'text')
    .execute()
  // Requests made before verification existed were acted on when received.
  await sql`update privacy_requests set verified_at = received_at`.execute(db)
  // The due date runs from verification: unknown before it.
  await sql`alter table privacy_requests alter column due_at drop not null`.execute(db)
  await db.schema.alterTable('privacy_requests')
    .addCheckConstraint('privacy_requests_verified', sql`(status in ('received', 'on_legal_hold', 'completed')) = (verified_at is not null and due_at is not null)`)
    .execute()
  await db.schema.createIndex('privacy_requests_pending').on('privacy_requests').column('verification_expires_at')
    .where(sql.ref('status'), '=', 'pending_verification').execute()

  // The destruction confirmation is the one message whose recipient is kept
  // after the erasure, until it is handed to the mail server: then it goes too.
  await db.schema.alterTable('mail_outbox')
    .addColumn('erase_recipient_after_delivery', 'boolean', (c) => c.notNull().defaultTo(false))
    .execute()

  // A stored answer names the resource it created (its public id), so an
  // erasure finds the person's own answers without reading anyone else's.
  await db.schema.alterTable('idempotency_keys').addColumn('resource_id', 'text').execute()
  await sql`create index idempotency_keys_resource on idempotency_keys (resource_id) where resource_id is not null`.execute(db)

  // offer cl. 8: the written reason of a return, kept with it, encrypted (it
  // was only in the audit log's details, in clear: migration 0017 moves it out).
  await db.schema.alterTable('refunds').addColumn('reason_encrypted', 'text').execute()
}
