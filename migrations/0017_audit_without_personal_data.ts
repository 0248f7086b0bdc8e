import { sql, type Kysely } from 'kysely'

// Frozen in time: this file never imports application code.

/**
 * docs/architecture.md, personal data: the audit log records that something happened, never
 * the personal data. Until now a return's audit entry kept the operator's
 * written reason in clear, and reasons name people. The log is append-only
 * (migration 0001's trigger); a migration is the one sanctioned path that
 * may rewrite old rows. The reason is removed (a digest of a short text that
 * names someone could be guessed back) and the entry says so; new returns
 * keep their reason encrypted on the return (refunds.reason_encrypted,
 * migration 0016), where an erasure reaches it. A migration holds no PII key,
 * so the old texts cannot move there: they are given up.
 */
export async function up (db: Kysely<any>): Promise<void> {
  await sql`alter table audit_log disable trigger audit_log_no_update_delete`.execute(db)
  await sql`
    update audit_log
    set details = (details - 'reason') || '{"reasonRemoved": true}'::jsonb
    where action = 'payment.returned' and details ? 'reason'`.execute(db)
  await sql`alter table audit_log enable trigger audit_log_no_update_delete`.execute(db)
}
