import type { Insertable, Updateable } from 'kysely'
import type { MailOutboxTable, MailRow, MailStatus } from './tables.js'
import type { Handle } from '../../db/database.js'
import { ERASED, type Tombstone } from '../../lib/erasure.js'


export async function insertMail (db: Handle, row: Insertable<MailOutboxTable>): Promise<MailRow> {
  return await db.insertInto('mail_outbox').values(row).returningAll().executeTakeFirstOrThrow()
}

export async function findMail (
  db: Handle, id: string, options: { forUpdate?: boolean } = {}
): Promise<MailRow | undefined> {
  let query = db.selectFrom('mail_outbox').selectAll().where('id', '=', id)
  if (options.forUpdate === true) query = query.forUpdate()
  return await query.executeTakeFirst()
}

export async function updateMail (db: Handle, id: string, changes: Updateable<MailOutboxTable>): Promise<MailRow> {
  return await db.updateTable('mail_outbox').set(changes).where('id', '=', id).returningAll().executeTakeFirstOrThrow()
}

/**
 * The outcome of a delivery, written only if the row is still as the
 * delivery read it (queued, same recipient): an erasure that ran during the
 * send has changed the recipient and emptied the text, and must not be
 * undone. False when it had.
 */
export async function recordDelivery (db: Handle, row: Pick<MailRow, 'id' | 'recipient_index'>, changes: Updateable<MailOutboxTable>): Promise<boolean> {
  const result = await db.updateTable('mail_outbox').set(changes)
    .where('id', '=', row.id).where('status', '=', 'queued').where('recipient_index', '=', row.recipient_index)
    .executeTakeFirst()
  return result.numUpdatedRows > 0n
}

/** The sandbox mailbox: sent messages, the last delivered first. */
export async function listSent (db: Handle, limit: number): Promise<MailRow[]> {
  return await db.selectFrom('mail_outbox').selectAll().where('status', '=', 'sent').orderBy('sent_at', 'desc').orderBy('id', 'desc').limit(limit).execute()
}

/**
 * The person's emails: recipient, facts and text destroyed (the subject,
 * which names only ids and amounts, stays for the operators' log). One not
 * yet delivered is not delivered any more. Privacy's erasure calls it through ./erasure.ts (offer cl. 16).
 */
export async function eraseMail (db: Handle, emailIndex: string, until: Date, tombstone: Tombstone): Promise<number> {
  const result = await db.updateTable('mail_outbox').set((eb) => ({
    recipient_encrypted: tombstone.encrypted,
    recipient_index: tombstone.index,
    data: '{}',
    text_body: eb.case().when('text_body', 'is', null).then(null).else(ERASED).end(),
    html_body: null,
    status: eb.case().when('status', '=', 'queued').then('failed' as const).else(eb.ref('status')).end(),
    last_error: eb.case().when('status', '=', 'queued').then('not delivered: the recipient\'s data was erased')
      .else(eb.ref('last_error')).end(),
    next_attempt_at: null
  })).where('recipient_index', '=', emailIndex)
    // what was queued until the erasure; a message queued later (a fresh consent, offer cl. 14) is not covered
    .where('created_at', '<=', until)
    .executeTakeFirst()
  return Number(result.numUpdatedRows)
}

/** Newest first (ids are UUIDv7); one more than `limit` tells whether a next page exists. */
export async function listMail (
  db: Handle, filter: { status?: MailStatus, limit: number, startingBefore: string | null }
): Promise<MailRow[]> {
  let query = db.selectFrom('mail_outbox').selectAll().orderBy('id', 'desc').limit(filter.limit + 1)
  if (filter.status !== undefined) query = query.where('status', '=', filter.status)
  if (filter.startingBefore !== null) query = query.where('id', '<', filter.startingBefore)
  return await query.execute()
}
