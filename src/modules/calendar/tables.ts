// The calendar module's table; composed into the one DB in src/db/types.ts.
import type { Generated, Selectable } from 'kysely'
import type { NonWorkingDayKind } from './schemas.js'

/** migrations/0006_calendar.ts; `date` is 'YYYY-MM-DD' text (pg's DATE parser in db/database.ts). */
export interface NonWorkingDaysTable {
  date: string
  kind: NonWorkingDayKind
  name: string
  created_at: Generated<Date>
}
export interface CalendarTables { non_working_days: NonWorkingDaysTable }
export type NonWorkingDayRow = Selectable<NonWorkingDaysTable>
