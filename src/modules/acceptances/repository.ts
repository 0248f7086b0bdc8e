import type { Insertable } from 'kysely'
import type { Handle } from '../../db/database.js'
import type { AcceptanceRow, AcceptancesTable } from './tables.js'


export async function insertAcceptance (db: Handle, row: Insertable<AcceptancesTable>): Promise<AcceptanceRow> {
  return await db.insertInto('acceptances').values(row).returningAll().executeTakeFirstOrThrow()
}

export async function findAcceptance (db: Handle, id: string, options: { forUpdate?: boolean } = {}): Promise<AcceptanceRow | undefined> {
  let query = db.selectFrom('acceptances').selectAll().where('id', '=', id)
  if (options.forUpdate === true) query = query.forUpdate()
  return await query.executeTakeFirst()
}

/** The payer's name (encrypted) of each of these acceptances: the initials a payment's partner view and events show. */
export async function payerNamesOf (db: Handle, ids: string[]): Promise<Map<string, string>> {
  if (ids.length === 0) return new Map()
  const rows = await db.selectFrom('acceptances').select(['id', 'payer_full_name_encrypted as name']).where('id', 'in', ids).execute()
  return new Map(rows.map((row) => [row.id, row.name]))
}
