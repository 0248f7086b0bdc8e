import { sql, type Kysely } from 'kysely'

// Frozen in time: this file never imports application code.

/**
 * DESIGN section 7: the audit log records that something happened, never
 * the personal data. Until now a return's audit entry kept the operator's
 * written reason in clear, and reasons name people. The log is append-only
 * (migration 0001's trigger); a migration is the one sanctioned path that
 * may rewrite old rows. The reason is replaced by its SHA-256, so the entry
 * still proves which text was given without holding it; the text itself now
 * lives encrypted on the return (refunds.reason_encrypted, migration 0016).
 */
export async function up (db: Kysely<any>): Promise<void> {
  await sql`alter table audit_log disable trigger audit_log_no_update_delete`.execute(db)
  await sql`
    update audit_log
    set details = (details - 'reason') || jsonb_build_object('reasonSha256', encode(sha256(convert_to(details->>'reason', 'UTF8')), 'hex'))
    where action = 'payment.returned' and details ? 'reason'`.execute(db)
  await sql`alter table audit_log enable trigger audit_log_no_update_delete`.execute(db)
}
