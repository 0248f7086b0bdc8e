import { sql } from 'kysely'
import type { Handle, Trx } from '../../db/database.js'
import type { NonWorkingDay } from './schemas.js'
import type { NonWorkingDayRow } from './tables.js'



export function toNonWorkingDay (row: NonWorkingDayRow): NonWorkingDay {
  return { date: row.date, kind: row.kind, name: row.name }
}

export async function listNonWorkingDayRows (
  db: Handle, range: { from?: string | undefined, to?: string | undefined } = {}
): Promise<NonWorkingDayRow[]> {
  let query = db.selectFrom('non_working_days').selectAll().orderBy('date')
  if (range.from !== undefined) query = query.where('date', '>=', range.from)
  if (range.to !== undefined) query = query.where('date', '<=', range.to)
  return await query.execute()
}

export async function findNonWorkingDay (db: Handle, date: string): Promise<NonWorkingDayRow | undefined> {
  return await db.selectFrom('non_working_days').selectAll().where('date', '=', date).executeTakeFirst()
}

/** Serialises calendar edits, so the `previous` an audit entry records is the row it really replaced. */
export async function lockCalendar (trx: Trx): Promise<void> {
  await sql`select pg_advisory_xact_lock(hashtext('non_working_days'))`.execute(trx)
}

export async function upsertNonWorkingDay (db: Handle, day: NonWorkingDay): Promise<NonWorkingDayRow> {
  return await db.insertInto('non_working_days').values(day)
    .onConflict((oc) => oc.column('date').doUpdateSet({ kind: day.kind, name: day.name }))
    .returningAll().executeTakeFirstOrThrow()
}

export async function deleteNonWorkingDay (db: Handle, date: string): Promise<NonWorkingDayRow | undefined> {
  return await db.deleteFrom('non_working_days').where('date', '=', date).returningAll().executeTakeFirst()
}
