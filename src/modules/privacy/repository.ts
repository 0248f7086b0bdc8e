import { sql, type Insertable, type Updateable } from 'kysely'
import type { Handle } from '../../db/database.js'
import type { Tombstone } from '../../lib/erasure.js'
import type { PrivacyStatus } from './schemas.js'
import type { PrivacyRequestRow, PrivacyRequestsTable } from './tables.js'


export async function insertPrivacyRequest (
  db: Handle, row: Insertable<PrivacyRequestsTable>
): Promise<PrivacyRequestRow> {
  return await db.insertInto('privacy_requests').values(row).returningAll().executeTakeFirstOrThrow()
}

export async function findPrivacyRequest (
  db: Handle, id: string, options: { forUpdate?: boolean } = {}
): Promise<PrivacyRequestRow | undefined> {
  let query = db.selectFrom('privacy_requests').selectAll().where('id', '=', id)
  if (options.forUpdate === true) query = query.forUpdate()
  return await query.executeTakeFirst()
}

export async function updatePrivacyRequest (
  db: Handle, id: string, changes: Updateable<PrivacyRequestsTable>
): Promise<PrivacyRequestRow> {
  return await db.updateTable('privacy_requests').set(changes).where('id', '=', id).returningAll().executeTakeFirstOrThrow()
}

export async function listPrivacyRequests (
  db: Handle,
  filter: { status?: PrivacyStatus, overdueBefore?: string, limit: number, startingAfter: string | null, now: Date }
): Promise<PrivacyRequestRow[]> {
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

/**
 * The same email's other requests that never became an act of the person
 * (unverified or expired): they hold the name and email someone typed.
 */
export async function eraseUnverifiedRequests (
  db: Handle, emailIndex: string, exceptId: string, tombstone: Tombstone
): Promise<number> {
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

export async function refundRequestIdsOf (db: Handle, paymentIds: string[]): Promise<string[]> {
  if (paymentIds.length === 0) return []
  const rows = await db.selectFrom('refund_requests').select('id').where('payment_id', 'in', paymentIds).execute()
  return rows.map((r) => r.id)
}
