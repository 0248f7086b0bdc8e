import { sql, type Insertable, type Updateable } from 'kysely'
import type { Handle } from '../../db/database.js'
import { toPublicId } from '../../lib/ids.js'
import type { PrivacyStatus } from './schemas.js'
import type { PrivacyRequestRow, PrivacyRequestsTable } from './tables.js'
import { ERASED } from '../../lib/erased.js'


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

export async function listPrivacyRequests (db: Handle, filter: { status?: PrivacyStatus, overdueBefore?: string, limit: number, startingAfter: string | null, now: Date }): Promise<PrivacyRequestRow[]> {
  let query = db.selectFrom('privacy_requests').selectAll().orderBy('id', 'asc').limit(filter.limit + 1)
  const now = filter.now
  if (filter.status === 'expired') {
    query = query.where((eb) => eb.or([eb('status', '=', 'expired'), eb.and([eb('status', '=', 'pending_verification'), eb('verification_expires_at', '<=', now)])]))
  } else if (filter.status === 'pending_verification') {
    query = query.where('status', '=', 'pending_verification').where('verification_expires_at', '>', now)
  } else if (filter.status !== undefined) {
    query = query.where('status', '=', filter.status)
  }
  if (filter.overdueBefore !== undefined) query = query.where('status', 'in', ['received', 'on_legal_hold']).where('due_at', '<', filter.overdueBefore)
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

/** Requests naming this email made since then: the per-email rate limit counts them. */
export async function countRequestsSince (db: Handle, emailIndex: string, since: Date): Promise<number> {
  const row = await db.selectFrom('privacy_requests').select((eb) => eb.fn.countAll<string>().as('n'))
    .where('email_index', '=', emailIndex).where('received_at', '>', since).executeTakeFirstOrThrow()
  return Number(row.n)
}

/** Serialises requests for one email, so two at once cannot both pass the rate limit. */
export async function lockEmail (db: Handle, emailIndex: string): Promise<void> {
  await sql`select pg_advisory_xact_lock(hashtextextended(${`privacy:${emailIndex}`}, 0))`.execute(db)
}

/** Unverified requests whose code lapsed: marked expired, their copy of the name and email destroyed. */
export async function expireLapsed (db: Handle, now: Date, tombstone: { encrypted: string }): Promise<number> {
  const result = await db.updateTable('privacy_requests').set({ status: 'expired', full_name_encrypted: tombstone.encrypted, email_encrypted: null, iin_index: null })
    .where('status', '=', 'pending_verification').where('verification_expires_at', '<=', now)
    .executeTakeFirst()
  return Number(result.numUpdatedRows)
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
  // by payment, and by order id: a callback stored before it could be matched names the order only
  const orderIds = paymentIds.map((id) => toPublicId('payment', id))
  const result = await db.updateTable('bank_callbacks').set({ raw_encrypted: tombstone.emptyJson })
    .where((eb) => eb.or([eb('payment_id', 'in', paymentIds), eb('order_id', 'in', orderIds)])).executeTakeFirst()
  return Number(result.numUpdatedRows)
}

export async function eraseRefundReasons (db: Handle, paymentIds: string[], tombstone: Tombstone): Promise<number> {
  if (paymentIds.length === 0) return 0
  // the client's reason, and the operator's answer, which names people as often
  const result = await db.updateTable('refund_requests').set((eb) => ({
    reason_encrypted: tombstone.encrypted,
    response_text: eb.case().when('response_text', 'is', null).then(null).else(ERASED).end()
  })).where('payment_id', 'in', paymentIds).executeTakeFirst()
  return Number(result.numUpdatedRows)
}

/**
 * The same email's other requests that never became an act of the person
 * (unverified or expired): they hold the name and email someone typed.
 */
export async function eraseUnverifiedRequests (db: Handle, emailIndex: string, exceptId: string, tombstone: Tombstone): Promise<number> {
  const result = await db.updateTable('privacy_requests')
    .set({ status: 'expired', full_name_encrypted: tombstone.encrypted, email_encrypted: null, email_index: tombstone.index, iin_index: null })
    .where('email_index', '=', emailIndex).where('id', '<>', exceptId).where('status', 'in', ['pending_verification', 'expired'])
    .executeTakeFirst()
  return Number(result.numUpdatedRows)
}

/** Public ids of the person's other verified requests: their stored answers go too. */
export async function requestIdsOf (db: Handle, emailIndex: string): Promise<string[]> {
  const rows = await db.selectFrom('privacy_requests').select('id').where('email_index', '=', emailIndex).execute()
  return rows.map((r) => r.id)
}


export async function eraseReturnReasons (db: Handle, paymentIds: string[], tombstone: Tombstone): Promise<number> {
  if (paymentIds.length === 0) return 0
  const result = await db.updateTable('refunds').set({ reason_encrypted: tombstone.encrypted }).where('payment_id', 'in', paymentIds).where('reason_encrypted', 'is not', null).executeTakeFirst()
  return Number(result.numUpdatedRows)
}

/**
 * Return URLs may carry anything the site put in them: gone with the payer's
 * email and IP indexes. The payments' IIN index stays: it is the debtor's,
 * from the creditor's portfolio (the debt keeps the same), processed to
 * collect the claim, a legal basis other than the payer's consent.
 */
export async function erasePayments (db: Handle, acceptanceIds: string[], tombstone: Tombstone): Promise<number> {
  if (acceptanceIds.length === 0) return 0
  const result = await db.updateTable('payments').set({ email_index: tombstone.index, ip_index: tombstone.index, return_url: null }).where('acceptance_id', 'in', acceptanceIds).executeTakeFirst()
  await db.updateTable('payment_refusals').set({ email_index: tombstone.index, ip_index: tombstone.index }).where('acceptance_id', 'in', acceptanceIds).execute()
  return Number(result.numUpdatedRows)
}

/**
 * The person's emails: recipient, facts and text destroyed (the subject,
 * which names only ids and amounts, stays for the operators' log). One not
 * yet delivered is not delivered any more.
 */
export async function eraseMail (db: Handle, emailIndex: string, until: Date, tombstone: Tombstone): Promise<number> {
  const result = await db.updateTable('mail_outbox').set((eb) => ({
    recipient_encrypted: tombstone.encrypted,
    recipient_index: tombstone.index,
    data: '{}',
    text_body: eb.case().when('text_body', 'is', null).then(null).else(ERASED).end(),
    html_body: null,
    status: eb.case().when('status', '=', 'queued').then('failed' as const).else(eb.ref('status')).end(),
    last_error: eb.case().when('status', '=', 'queued').then('not delivered: the recipient\'s data was erased').else(eb.ref('last_error')).end(),
    next_attempt_at: null
  })).where('recipient_index', '=', emailIndex)
    // what was queued until the erasure; a message queued later (a fresh consent, offer cl. 14) is not covered
    .where('created_at', '<=', until)
    .executeTakeFirst()
  return Number(result.numUpdatedRows)
}

/** Stored answers of the person's own requests (acceptances, payments, refund and privacy requests). */
export async function eraseIdempotencyRecords (db: Handle, resourceIds: string[]): Promise<number> {
  if (resourceIds.length === 0) return 0
  const result = await db.deleteFrom('idempotency_keys').where('resource_id', 'in', resourceIds).executeTakeFirst()
  return Number(result.numDeletedRows)
}

export async function refundRequestIdsOf (db: Handle, paymentIds: string[]): Promise<string[]> {
  if (paymentIds.length === 0) return []
  const rows = await db.selectFrom('refund_requests').select('id').where('payment_id', 'in', paymentIds).execute()
  return rows.map((r) => r.id)
}

/**
 * Events (and so webhook payloads, built from them at delivery) carry a
 * refund request as the API shows it, the operator's answer included: it
 * goes the way of the answer itself. Names are never stored in events.
 */
export async function eraseRefundRequestEvents (db: Handle, refundRequestPublicIds: string[]): Promise<void> {
  if (refundRequestPublicIds.length === 0) return
  await sql`update events set
      data = jsonb_set(data, '{responseText}', to_jsonb(${ERASED}::text)),
      partner_data = case when partner_data ? 'responseText' then jsonb_set(partner_data, '{responseText}', to_jsonb(${ERASED}::text)) else partner_data end
    where type like 'refund_request.%' and data->>'id' = any(${refundRequestPublicIds}::text[]) and jsonb_typeof(data->'responseText') = 'string'`.execute(db)
}
