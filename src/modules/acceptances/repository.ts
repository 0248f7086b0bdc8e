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
