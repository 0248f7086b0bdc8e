import { sql, type ColumnType, type Insertable, type Kysely, type Selectable, type Transaction, type Updateable } from 'kysely'
import type { Database } from '../../db/database.js'
import type { AcceptancesTable, DB } from '../../db/types.js'
import type { PrivacyStatus } from './schemas.js'

type Nullable<T> = ColumnType<T | null, T | null | undefined, T | null>
type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>

export interface ErasedCounts { acceptances: number, callbacks: number, refundRequests: number }

export interface PrivacyRequestsTable {
  id: string
  email_index: string
  iin_index: string | null
  full_name_encrypted: string
  status: ColumnType<PrivacyStatus, PrivacyStatus | undefined, PrivacyStatus>
  hold_reason: Nullable<string>
  due_at: string
  received_at: Timestamp
  completed_at: Nullable<Date>
  confirmation_number: Nullable<string>
  erased_counts: ColumnType<ErasedCounts | null, string | null | undefined, string | null>
}

/** The tables as migration 0008 leaves them (src/db/types.ts is not this module's to change). */
export type PrivacyDb = Omit<DB, 'acceptances'> & {
  acceptances: AcceptancesTable & { consent_withdrawn_at: Nullable<Date> }
  privacy_requests: PrivacyRequestsTable
}
type Handle = Kysely<PrivacyDb>
export type PrivacyTransaction = Transaction<PrivacyDb>
export type PrivacyRequestRow = Selectable<PrivacyRequestsTable>

export function privacyDb (db: Database): Kysely<PrivacyDb> {
  return db as unknown as Kysely<PrivacyDb>
}

export async function insertPrivacyRequest (db: Handle, row: Insertable<PrivacyRequestsTable>): Promise<PrivacyRequestRow> {
  return await db.insertInto('privacy_requests').values(row).returningAll().executeTakeFirstOrThrow()
}

export async function findPrivacyRequest (db: Handle, id: string, options: { forUpdate?: boolean } = {}): Promise<PrivacyRequestRow | undefined> {
  let query = db.selectFrom('privacy_requests').selectAll().where('id', '=', id)
  if (options.forUpdate === true) query = query.forUpdate()
  return await query.executeTakeFirst()
}

export async function updatePrivacyRequest (db: Handle, id: string, changes: Updateable<PrivacyRequestsTable>): Promise<PrivacyRequestRow> {
  return await db.updateTable('privacy_requests').set(changes).where('id', '=', id).returningAll().executeTakeFirstOrThrow()
}

export async function listPrivacyRequests (db: Handle, filter: { status?: PrivacyStatus, overdueBefore?: string, limit: number, startingAfter: string | null }): Promise<PrivacyRequestRow[]> {
  let query = db.selectFrom('privacy_requests').selectAll().orderBy('id', 'asc').limit(filter.limit + 1)
  if (filter.status !== undefined) query = query.where('status', '=', filter.status)
  if (filter.overdueBefore !== undefined) query = query.where('status', '<>', 'completed').where('due_at', '<', filter.overdueBefore)
  if (filter.startingAfter !== null) query = query.where('id', '>', filter.startingAfter)
  return await query.execute()
}

/** Requests the daily sweep takes up again: on hold, or received and not processed for a while. */
export async function listUnfinished (db: Handle, receivedBefore: Date): Promise<string[]> {
  const rows = await db.selectFrom('privacy_requests').select('id')
    .where((eb) => eb.or([eb('status', '=', 'on_legal_hold'), eb.and([eb('status', '=', 'received'), eb('received_at', '<', receivedBefore)])]))
    .orderBy('id').execute()
  return rows.map((r) => r.id)
}

/** offer cl. 16: consent withdrawn at once for what the person accepted until now. */
export async function withdrawConsent (db: Handle, emailIndex: string, at: Date): Promise<number> {
  const result = await db.updateTable('acceptances').set({ consent_withdrawn_at: at })
    .where('payer_email_index', '=', emailIndex).where('consent_withdrawn_at', 'is', null)
    .executeTakeFirst()
  return Number(result.numUpdatedRows)
}

/**
 * Acceptances the withdrawal covers: the email's, given up to the request (a
 * later one is a fresh consent, offer cl. 14). Locked, so a payment starting
 * from one of them, if it locks it too, cannot slip in under the erasure.
 */
export async function acceptancesOf (db: Handle, emailIndex: string, acceptedUntil: Date): Promise<string[]> {
  const rows = await db.selectFrom('acceptances').select('id')
    .where('payer_email_index', '=', emailIndex).where('accepted_at', '<=', acceptedUntil)
    .orderBy('id').forUpdate().execute()
  return rows.map((r) => r.id)
}

/** Their payments, locked in id order so a refund decision on them waits for the erasure (and the other way round). */
export async function lockPaymentsOf (db: Handle, acceptanceIds: string[]): Promise<Array<{ id: string, status: string }>> {
  if (acceptanceIds.length === 0) return []
  return await db.selectFrom('payments').select(['id', 'status'])
    .where('acceptance_id', 'in', acceptanceIds).orderBy('id').forUpdate().execute()
}

export async function hasRefundInProgress (db: Handle, paymentIds: string[]): Promise<boolean> {
  if (paymentIds.length === 0) return false
  const open = await db.selectFrom('refund_requests').select('id').where('payment_id', 'in', paymentIds).where('open', '=', true).limit(1).executeTakeFirst()
  if (open !== undefined) return true
  const pending = await db.selectFrom('refunds').select('id').where('payment_id', 'in', paymentIds).where('status', 'in', ['pending', 'needs_review']).limit(1).executeTakeFirst()
  return pending !== undefined
}

export async function nextConfirmationNumber (db: Handle): Promise<bigint> {
  const { next } = await sql<{ next: bigint }>`select nextval('privacy_confirmation_numbers') as next`.execute(db).then((r) => r.rows[0] as { next: bigint })
  return next
}

/** What replaces personal data: one ciphertext of '[erased]' (columns stay NOT NULL) and an index value nothing hashes to. */
export interface Tombstone { encrypted: string, emptyJson: string, index: string }

export async function eraseAcceptances (db: Handle, ids: string[], tombstone: Tombstone): Promise<number> {
  if (ids.length === 0) return 0
  const result = await db.updateTable('acceptances').set({
    payer_full_name_encrypted: tombstone.encrypted,
    payer_email_encrypted: tombstone.encrypted,
    payer_phone_encrypted: tombstone.encrypted,
    ip_encrypted: tombstone.encrypted,
    payer_email_index: tombstone.index,
    ip_index: tombstone.index,
    user_agent: null
  }).where('id', 'in', ids).executeTakeFirst()
  return Number(result.numUpdatedRows)
}

/** The raw callbacks carry the payer's email, phone and IP (pg_user_*); the verdict and our reply stay. */
export async function eraseCallbacks (db: Handle, paymentIds: string[], tombstone: Tombstone): Promise<number> {
  if (paymentIds.length === 0) return 0
  const result = await db.updateTable('bank_callbacks').set({ raw_encrypted: tombstone.emptyJson }).where('payment_id', 'in', paymentIds).executeTakeFirst()
  return Number(result.numUpdatedRows)
}

export async function eraseRefundReasons (db: Handle, paymentIds: string[], tombstone: Tombstone): Promise<number> {
  if (paymentIds.length === 0) return 0
  const result = await db.updateTable('refund_requests').set({ reason_encrypted: tombstone.encrypted }).where('payment_id', 'in', paymentIds).executeTakeFirst()
  return Number(result.numUpdatedRows)
}

/**
 * The payer's email and IP indexes on payments and refused attempts. Their
 * IIN index stays: it is the debtor's, from the creditor's portfolio.
 */
export async function erasePaymentIndexes (db: Handle, acceptanceIds: string[], tombstone: Tombstone): Promise<void> {
  if (acceptanceIds.length === 0) return
  await db.updateTable('payments').set({ email_index: tombstone.index, ip_index: tombstone.index }).where('acceptance_id', 'in', acceptanceIds).execute()
  await db.updateTable('payment_refusals').set({ email_index: tombstone.index, ip_index: tombstone.index }).where('acceptance_id', 'in', acceptanceIds).execute()
}
