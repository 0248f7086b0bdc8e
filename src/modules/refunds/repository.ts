import { sql, type Insertable, type Updateable } from 'kysely'
import type { Handle } from '../../db/database.js'
import { ERASED, type Tombstone } from '../../lib/erasure.js'
import { isLocked, purgeFailures, recordFailure, type FailureWindow } from '../../db/failure-window.js'
import type { RefundRequestRow, RefundRequestsTable, RefundRow, RefundStatus, RefundsTable } from './tables.js'


export async function insertRefundRequest (
  db: Handle, row: Insertable<RefundRequestsTable>
): Promise<RefundRequestRow> {
  return await db.insertInto('refund_requests').values(row).returningAll().executeTakeFirstOrThrow()
}

export async function findRefundRequest (
  db: Handle, id: string, options: { forUpdate?: boolean } = {}
): Promise<RefundRequestRow | undefined> {
  let query = db.selectFrom('refund_requests').selectAll().where('id', '=', id)
  if (options.forUpdate === true) query = query.forUpdate()
  return await query.executeTakeFirst()
}

export async function findOpenRequest (db: Handle, paymentId: string): Promise<RefundRequestRow | undefined> {
  return await db.selectFrom('refund_requests').selectAll().where('payment_id', '=', paymentId).where('open', '=', true).executeTakeFirst()
}

export async function updateRefundRequest (
  db: Handle, id: string, changes: Updateable<RefundRequestsTable>
): Promise<RefundRequestRow> {
  return await db.updateTable('refund_requests').set(changes).where('id', '=', id).returningAll().executeTakeFirstOrThrow()
}

export async function listRefundRequests (db: Handle, filter: { status?: RefundRequestRow['status'], overdueBefore?: string, limit: number, startingAfter: string | null }): Promise<RefundRequestRow[]> {
  let query = db.selectFrom('refund_requests').selectAll().orderBy('id', 'asc').limit(filter.limit + 1)
  if (filter.status !== undefined) query = query.where('status', '=', filter.status)
  // Overdue: approved, refund unfinished, and the deadline (a date in Almaty) has passed.
  if (filter.overdueBefore !== undefined) query = query.where('open', '=', true).where('status', '=', 'approved').where('due_at', '<', filter.overdueBefore)
  if (filter.startingAfter !== null) query = query.where('id', '>', filter.startingAfter)
  return await query.execute()
}

/** The payer of each request's payment as its acceptance recorded them (encrypted); Kaspi payments have none. */
export interface EncryptedPayer { fullName: string | null, email: string | null, phone: string | null }

export async function payersOfRequests (db: Handle, ids: string[]): Promise<Map<string, EncryptedPayer>> {
  if (ids.length === 0) return new Map()
  const rows = await db.selectFrom('refund_requests as r')
    .innerJoin('payments as p', 'p.id', 'r.payment_id')
    .leftJoin('acceptances as a', 'a.id', 'p.acceptance_id')
    .select(['r.id', 'a.payer_full_name_encrypted as fullName', 'a.payer_email_encrypted as email',
      'a.payer_phone_encrypted as phone'])
    .where('r.id', 'in', ids).execute()
  return new Map(rows.map((row) => [row.id, { fullName: row.fullName, email: row.email, phone: row.phone }]))
}

/** Tiyn refunded or being refunded: every refund that has not failed. */
export async function committedRefunds (db: Handle, paymentId: string): Promise<bigint> {
  const { total } = await db.selectFrom('refunds')
    .select(sql<bigint>`coalesce(sum(amount), 0)::bigint`.as('total'))
    .where('payment_id', '=', paymentId).where('status', '<>', 'failed')
    .executeTakeFirstOrThrow()
  return total
}

export async function insertRefund (db: Handle, row: Insertable<RefundsTable>): Promise<RefundRow> {
  return await db.insertInto('refunds').values(row).returningAll().executeTakeFirstOrThrow()
}

export async function findRefund (
  db: Handle, id: string, options: { forUpdate?: boolean } = {}
): Promise<RefundRow | undefined> {
  let query = db.selectFrom('refunds').selectAll().where('id', '=', id)
  if (options.forUpdate === true) query = query.forUpdate()
  return await query.executeTakeFirst()
}

export async function findRefundOfRequest (db: Handle, requestId: string): Promise<RefundRow | undefined> {
  return await db.selectFrom('refunds').selectAll().where('refund_request_id', '=', requestId).executeTakeFirst()
}

/** Bank-reported refunds a crash left pending (a partial index serves it). */
export async function pendingBankReportedRefunds (db: Handle, limit: number): Promise<string[]> {
  const rows = await db.selectFrom('refunds').select('id')
    .where('kind', '=', 'bank_reported').where('status', '=', 'pending')
    .orderBy('id').limit(limit).execute()
  return rows.map((row) => row.id)
}

export async function updateRefund (db: Handle, id: string, changes: Updateable<RefundsTable>): Promise<RefundRow> {
  return await db.updateTable('refunds').set(changes).where('id', '=', id).returningAll().executeTakeFirstOrThrow()
}

export async function succeededRefunds (db: Handle, paymentId: string): Promise<bigint> {
  const { total } = await db.selectFrom('refunds')
    .select(sql<bigint>`coalesce(sum(amount), 0)::bigint`.as('total'))
    .where('payment_id', '=', paymentId).where('status', '=', 'succeeded')
    .executeTakeFirstOrThrow()
  return total
}

export async function markOverdue (db: Handle, today: string): Promise<number> {
  const result = await db.updateTable('refund_requests').set({ overdue: true })
    .where('open', '=', true).where('status', '=', 'approved').where('due_at', '<', today).where('overdue', '=', false)
    .executeTakeFirst()
  return Number(result.numUpdatedRows)
}

/** Every refund and return of a payment, oldest first (a handful at most). */
export async function refundsOfPayment (db: Handle, paymentId: string): Promise<RefundRow[]> {
  return await db.selectFrom('refunds').selectAll().where('payment_id', '=', paymentId).orderBy('id', 'asc').execute()
}

export async function listRefunds (
  db: Handle, filter: { status?: RefundStatus, paymentId?: string, limit: number, startingAfter: string | null }
): Promise<RefundRow[]> {
  let query = db.selectFrom('refunds').selectAll().orderBy('id', 'asc').limit(filter.limit + 1)
  if (filter.status !== undefined) query = query.where('status', '=', filter.status)
  if (filter.paymentId !== undefined) query = query.where('payment_id', '=', filter.paymentId)
  if (filter.startingAfter !== null) query = query.where('id', '>', filter.startingAfter)
  return await query.execute()
}

/**
 * Pending refunds no worker job will ever run again: the process died during
 * the job's last attempt (graphile-worker does not retry it past its
 * max_attempts), so the outcome is unknown. A job still locked or with
 * attempts left keeps its refund out of this list.
 */
export async function orphanedPendingRefunds (db: Handle, jobKeyPrefix: string): Promise<string[]> {
  const { rows } = await sql<{ id: string }>`
    select r.id from refunds r
     where r.status = 'pending'
       and not exists (
         select 1 from graphile_worker.jobs j
          where j.key = ${jobKeyPrefix} || r.id::text
            and (j.attempts < j.max_attempts or j.locked_at is not null))
     order by r.id`.execute(db)
  return rows.map((row) => row.id)
}

/** A return of this payment that has not failed (at most one is ever in progress or done). */
export async function findLiveReturn (db: Handle, paymentId: string): Promise<{ id: string } | undefined> {
  return await db.selectFrom('refunds').select('id').where('payment_id', '=', paymentId).where('kind', '=', 'return').where('status', '<>', 'failed').executeTakeFirst()
}

// --- erasure (offer cl. 16; privacy's erasure calls these through ./erasure.ts) ------------------------------

export async function eraseRefundReasons (db: Handle, paymentIds: string[], tombstone: Tombstone): Promise<number> {
  if (paymentIds.length === 0) return 0
  // the client's reason, and the operator's answer, which names people as often
  const result = await db.updateTable('refund_requests').set((eb) => ({
    reason_encrypted: tombstone.encrypted,
    response_text: eb.case().when('response_text', 'is', null).then(null).else(ERASED).end()
  })).where('payment_id', 'in', paymentIds).executeTakeFirst()
  return Number(result.numUpdatedRows)
}

export async function eraseReturnReasons (db: Handle, paymentIds: string[], tombstone: Tombstone): Promise<number> {
  if (paymentIds.length === 0) return 0
  const result = await db.updateTable('refunds').set({ reason_encrypted: tombstone.encrypted })
    .where('payment_id', 'in', paymentIds).where('reason_encrypted', 'is not', null).executeTakeFirst()
  return Number(result.numUpdatedRows)
}

// --- wrong emails per payment (an email is no oracle) -------------------------

const EMAIL_FAILURES: FailureWindow = { table: 'refund_request_email_failures', keyColumn: 'payment_id' }

/** Counts a wrong email given for a payment's refund; the one that reaches `threshold` locks it for `seconds`. */
export async function recordEmailFailure (
  db: Handle, paymentId: string, threshold: number, seconds: number
): Promise<void> {
  await recordFailure(db, EMAIL_FAILURES, paymentId, threshold, seconds)
}

/** Whether a payment's refund requests answer 404 to every email now. */
export async function emailFailuresLocked (db: Handle, paymentId: string): Promise<boolean> {
  return await isLocked(db, EMAIL_FAILURES, paymentId)
}

export async function purgeEmailFailures (db: Handle): Promise<number> {
  return await purgeFailures(db, EMAIL_FAILURES)
}

/** An external refund of this payment with this reference (recorded once: migration 0031). */
export async function findExternalRefund (
  db: Handle, paymentId: string, reference: string
): Promise<{ id: string } | undefined> {
  return await db.selectFrom('refunds').select('id').where('payment_id', '=', paymentId)
    .where('kind', '=', 'external').where('reference', '=', reference).executeTakeFirst()
}
