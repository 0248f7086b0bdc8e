import type { Insertable } from 'kysely'
import type { Handle } from '../../db/database.js'
import type { PaymentLinkRow, PaymentLinksTable } from './tables.js'

export async function insertPaymentLinks (
  db: Handle, rows: Array<Insertable<PaymentLinksTable>>
): Promise<PaymentLinkRow[]> {
  if (rows.length === 0) return []
  return await db.insertInto('payment_links').values(rows).returningAll().execute()
}

/**
 * The live link with this token hash. Unknown, revoked and expired tokens run this one statement and get no row
 * alike (the database's clock, so every API process agrees): nothing tells them apart.
 */
export async function findLiveLinkByTokenHash (db: Handle, tokenHash: string): Promise<PaymentLinkRow | undefined> {
  return await db.selectFrom('payment_links').selectAll()
    .where('token_hash', '=', tokenHash)
    .where('revoked_at', 'is', null)
    .where((eb) => eb('expires_at', '>', eb.fn<Date>('now')))
    .executeTakeFirst()
}

export async function findPaymentLink (
  db: Handle, id: string, options: { forUpdate?: boolean } = {}
): Promise<PaymentLinkRow | undefined> {
  let query = db.selectFrom('payment_links').selectAll().where('id', '=', id)
  if (options.forUpdate === true) query = query.forUpdate()
  return await query.executeTakeFirst()
}

/** A debt's links in id order (creation order), `limit + 1` of them after `startingAfter`. */
export async function listPaymentLinksOfDebt (
  db: Handle, debtId: string, limit: number, startingAfter: string | null
): Promise<PaymentLinkRow[]> {
  let query = db.selectFrom('payment_links').selectAll().where('debt_id', '=', debtId).orderBy('id', 'asc')
    .limit(limit + 1)
  if (startingAfter !== null) query = query.where('id', '>', startingAfter)
  return await query.execute()
}

/** Revoked now, or left as it was when already revoked (the first revocation's time stays). */
export async function revokePaymentLinkRow (db: Handle, id: string, at: Date): Promise<PaymentLinkRow> {
  return await db.updateTable('payment_links').set({ revoked_at: at }).where('id', '=', id)
    .where('revoked_at', 'is', null).returningAll().executeTakeFirstOrThrow()
}
