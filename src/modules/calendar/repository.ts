import { sql, type Generated, type Kysely, type Selectable, type Transaction } from 'kysely'
import type { Database } from '../../db/database.js'
import type { DB } from '../../db/types.js'
import type { NonWorkingDay, NonWorkingDayKind } from './schemas.js'

type Handle = Database | Transaction<DB>

/** migrations/0006_calendar.ts; `date` is 'YYYY-MM-DD' text (pg's DATE parser in db/database.ts). */
export interface NonWorkingDaysTable {
  date: string
  kind: NonWorkingDayKind
  name: string
  created_at: Generated<Date>
}
interface CalendarTables { non_working_days: NonWorkingDaysTable }
export type NonWorkingDayRow = Selectable<NonWorkingDaysTable>

// The table is declared here rather than in db/types.ts, which this module does not own.
function calendarDb (db: Handle): Kysely<CalendarTables> {
  return db as unknown as Kysely<CalendarTables>
}

export function toNonWorkingDay (row: NonWorkingDayRow): NonWorkingDay {
  return { date: row.date, kind: row.kind, name: row.name }
}

export async function listNonWorkingDayRows (db: Handle, range: { from?: string | undefined, to?: string | undefined } = {}): Promise<NonWorkingDayRow[]> {
  let query = calendarDb(db).selectFrom('non_working_days').selectAll().orderBy('date')
  if (range.from !== undefined) query = query.where('date', '>=', range.from)
  if (range.to !== undefined) query = query.where('date', '<=', range.to)
  return await query.execute()
}

export async function findNonWorkingDay (db: Handle, date: string): Promise<NonWorkingDayRow | undefined> {
  return await calendarDb(db).selectFrom('non_working_days').selectAll().where('date', '=', date).executeTakeFirst()
}

/** Serialises calendar edits, so the `previous` an audit entry records is the row it really replaced. */
export async function lockCalendar (trx: Transaction<DB>): Promise<void> {
  await sql`select pg_advisory_xact_lock(hashtext('non_working_days'))`.execute(trx)
}

export async function upsertNonWorkingDay (db: Handle, day: NonWorkingDay): Promise<NonWorkingDayRow> {
  return await calendarDb(db).insertInto('non_working_days').values(day)
    .onConflict((oc) => oc.column('date').doUpdateSet({ kind: day.kind, name: day.name }))
    .returningAll().executeTakeFirstOrThrow()
}

export async function deleteNonWorkingDay (db: Handle, date: string): Promise<NonWorkingDayRow | undefined> {
  return await calendarDb(db).deleteFrom('non_working_days').where('date', '=', date).returningAll().executeTakeFirst()
}
