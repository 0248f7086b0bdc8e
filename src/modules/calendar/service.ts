import type { Database } from '../../db/database.js'
import { DomainError } from '../../lib/errors.js'
import { addBusinessDays, almatyDate, calendarFromRows, isWorkingDay, type BusinessCalendar } from '../../lib/calendar.js'
import { recordAudit, type Actor } from '../audit/service.js'
import {
  deleteNonWorkingDay, findNonWorkingDay, listNonWorkingDayRows, lockCalendar, toNonWorkingDay, upsertNonWorkingDay
} from './repository.js'
import type { NonWorkingDay } from './schemas.js'

// Holidays only ever come from the table (docs/architecture.md, Kazakhstan specifics). The calendar is
// read afresh on every call: a few dozen rows a year, and no cache means an
// operator's edit counts at once in every process.
export async function loadCalendar (db: Database): Promise<BusinessCalendar> {
  return calendarFromRows(await listNonWorkingDayRows(db))
}

/**
 * The `n`-th Kazakhstan business day after the Almaty date of `instant`:
 * decision + 5 for a refund (offer cl. 5), receipt + 30 to stop processing
 * personal data after consent is withdrawn (offer cl. 16).
 */
export async function businessDaysAfter (db: Database, instant: Date, n: number): Promise<string> {
  return addBusinessDays(almatyDate(instant), n, await loadCalendar(db))
}

/** The same count from a date an operator typed, so a bad date is a 422 rather than a bug. */
export async function businessDaysAfterDate (db: Database, from: string, n: number): Promise<string> {
  assertCalendarDate(from, 'from')
  const calendar = await loadCalendar(db)
  try {
    return addBusinessDays(from, n, calendar)
  } catch (error) {
    // `from` is valid and `n` capped by the schema: only running past 9999-12-31 is left
    if (error instanceof RangeError) throw new DomainError('invalid_date', error.message)
    throw error
  }
}

export async function listNonWorkingDays (
  db: Database, range: { from?: string | undefined, to?: string | undefined }
): Promise<NonWorkingDay[]> {
  if (range.from !== undefined) assertCalendarDate(range.from, 'from')
  if (range.to !== undefined) assertCalendarDate(range.to, 'to')
  return (await listNonWorkingDayRows(db, range)).map(toNonWorkingDay)
}

/** Sets the day, replacing what the date had: decrees are published each year and sources get corrected. */
export async function addNonWorkingDay (db: Database, actor: Actor, day: NonWorkingDay): Promise<NonWorkingDay> {
  const weekend = !isWeekday(day.date, 'date')
  if (day.kind === 'working' && !weekend) {
    throw new DomainError('working_day_not_weekend', `${day.date} is a weekday, already a working day; kind 'working' is for a Saturday or Sunday a decree made a working day`)
  }
  return await db.transaction().execute(async (trx) => {
    await lockCalendar(trx)
    const previous = await findNonWorkingDay(trx, day.date)
    const row = await upsertNonWorkingDay(trx, day)
    await recordAudit(trx, actor, {
      action: 'calendar.day_set',
      entityType: 'non_working_day',
      entityId: row.date,
      details: { kind: row.kind, name: row.name, previous: previous === undefined ? null : toNonWorkingDay(previous) }
    })
    return toNonWorkingDay(row)
  })
}

export async function removeNonWorkingDay (db: Database, actor: Actor, date: string): Promise<NonWorkingDay> {
  assertCalendarDate(date, 'date')
  return await db.transaction().execute(async (trx) => {
    await lockCalendar(trx)
    const row = await deleteNonWorkingDay(trx, date)
    if (row === undefined) throw new DomainError('non_working_day_not_found', `${date} is not in the calendar of non-working days`)
    await recordAudit(trx, actor, {
      action: 'calendar.day_removed',
      entityType: 'non_working_day',
      entityId: row.date,
      details: { kind: row.kind, name: row.name }
    })
    return toNonWorkingDay(row)
  })
}

// With no holidays at all the pure calendar answers "is it Monday-Friday?",
// and it refuses what addBusinessDays would refuse (2026-02-30, year 0042).
const PLAIN_WEEK: BusinessCalendar = { nonWorking: new Set(), working: new Set() }

function isWeekday (date: string, field: string): boolean {
  try {
    return isWorkingDay(date, PLAIN_WEEK)
  } catch (error) {
    if (error instanceof RangeError) throw new DomainError('invalid_date', `${field} ${date} is not a calendar date`)
    throw error
  }
}

function assertCalendarDate (date: string, field: string): void {
  isWeekday(date, field)
}
