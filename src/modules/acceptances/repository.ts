import type { Insertable } from 'kysely'
import type { Handle } from '../../db/database.js'
import type { Tombstone } from '../../lib/erasure.js'
import type { AcceptanceRow, AcceptancesTable } from './tables.js'


export async function insertAcceptance (db: Handle, row: Insertable<AcceptancesTable>): Promise<AcceptanceRow> {
  return await db.insertInto('acceptances').values(row).returningAll().executeTakeFirstOrThrow()
}

export async function findAcceptance (
  db: Handle, id: string, options: { forUpdate?: boolean } = {}
): Promise<AcceptanceRow | undefined> {
  let query = db.selectFrom('acceptances').selectAll().where('id', '=', id)
  if (options.forUpdate === true) query = query.forUpdate()
  return await query.executeTakeFirst()
}

// --- consent withdrawal and erasure (offer cl. 16; privacy's erasure calls these through ./erasure.ts) ---------

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

/** The payer's name (encrypted) of each of these acceptances: the initials a payment's partner view and events show. */
export async function payerNamesOf (db: Handle, ids: string[]): Promise<Map<string, string>> {
  if (ids.length === 0) return new Map()
  const rows = await db.selectFrom('acceptances').select(['id', 'payer_full_name_encrypted as name']).where('id', 'in', ids).execute()
  return new Map(rows.map((row) => [row.id, row.name]))
}
