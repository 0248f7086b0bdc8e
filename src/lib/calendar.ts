/**
 * Kazakhstan business-day calendar. Dates are Asia/Almaty
 * calendar dates as 'YYYY-MM-DD' strings; the holidays themselves are data
 * (a database table seeded from KZ_NON_WORKING_DAYS_SEED), never rules here.
 */
export type BusinessCalendar = {
  /** holidays, observed days and decree days off */
  nonWorking: ReadonlySet<string>
  /** weekend days that a decree made working days */
  working: ReadonlySet<string>
}

const DAY_MS = 86_400_000
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/
/** ~10 years of business days: a bigger n is a bug, not a deadline */
const MAX_BUSINESS_DAYS = 3660
const LAST_DAY = Date.UTC(9999, 11, 31) / DAY_MS

/** 'YYYY-MM-DD' -> days since 1970-01-01; RangeError when not a real date */
function toEpochDay (date: string): number {
  const match = ISO_DATE.exec(date)
  const ms = match === null
    ? Number.NaN
    : Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]))
  // the round trip rejects 2026-02-30, 2026-13-01 and years below 0100,
  // which Date.UTC would silently shift
  if (Number.isNaN(ms) || toDate(ms / DAY_MS) !== date) {
    throw new RangeError(`invalid calendar date: ${JSON.stringify(date)}`)
  }
  return ms / DAY_MS
}

function toDate (epochDay: number): string {
  return new Date(epochDay * DAY_MS).toISOString().slice(0, 10)
}

function isWorking (epochDay: number, date: string, cal: BusinessCalendar): boolean {
  const weekday = new Date(epochDay * DAY_MS).getUTCDay()
  if (weekday === 0 || weekday === 6) return cal.working.has(date)
  return !cal.nonWorking.has(date)
}

export function isWorkingDay (date: string, cal: BusinessCalendar): boolean {
  return isWorking(toEpochDay(date), date, cal)
}

/**
 * The n-th working day after `date`: the count starts the next day, so a
 * decision on Thursday with n = 1 is due on Friday (n = 0 is `date` itself).
 */
export function addBusinessDays (date: string, n: number, cal: BusinessCalendar): string {
  if (!Number.isInteger(n) || n < 0 || n > MAX_BUSINESS_DAYS) {
    throw new RangeError(`business days must be an integer in 0..${MAX_BUSINESS_DAYS}, got ${n}`)
  }
  let day = toEpochDay(date)
  let current = date
  for (let left = n; left > 0;) {
    day += 1
    if (day > LAST_DAY) throw new RangeError(`business day after 9999-12-31: ${date} + ${n}`)
    current = toDate(day)
    if (isWorking(day, current, cal)) left -= 1
  }
  return current
}

const ALMATY = new Intl.DateTimeFormat('en-US', {
  timeZone: 'Asia/Almaty',
  calendar: 'gregory',
  numberingSystem: 'latn',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit'
})

/** The calendar date in Almaty (UTC+5 since 2024-03-01, UTC+6 before). */
export function almatyDate (instant: Date): string {
  if (Number.isNaN(instant.getTime())) throw new RangeError('invalid instant')
  const parts = new Map(ALMATY.formatToParts(instant).map((part) => [part.type, part.value]))
  return `${String(parts.get('year')).padStart(4, '0')}-${String(parts.get('month'))}-${String(parts.get('day'))}`
}

/** Rows of the non-working-days table -> calendar; kind 'working' marks a decree working weekend day. */
export function calendarFromRows (rows: Iterable<{ date: string, kind: string }>): BusinessCalendar {
  const nonWorking = new Set<string>()
  const working = new Set<string>()
  for (const row of rows) {
    toEpochDay(row.date)
    if (row.kind === 'working') working.add(row.date)
    else nonWorking.add(row.date)
  }
  return { nonWorking, working }
}

export type NonWorkingDayKind = 'holiday' | 'observed' | 'decree' | 'working'

/**
 * Seed of the non-working-days table, from shared/testdata/kz-holidays.md
 * (Labour Code Art. 84-85 plus yearly decrees). Every listed day is here,
 * weekend ones included; 'observed' replaces a holiday that fell on a weekend
 * (never for Orthodox Christmas or Kurban Ait), 'decree' is a day off moved by
 * a government decree and 'working' the weekend day it took.
 * Kept a plain literal: a migration copies it verbatim.
 */
export const KZ_NON_WORKING_DAYS_SEED: ReadonlyArray<{ date: string, kind: NonWorkingDayKind, name: string }> = [
  { date: '2024-01-01', kind: 'holiday', name: 'New Year' },
  { date: '2024-01-02', kind: 'holiday', name: 'New Year' },
  { date: '2024-01-07', kind: 'holiday', name: 'Orthodox Christmas' },
  { date: '2024-03-08', kind: 'holiday', name: 'International Women\'s Day' },
  { date: '2024-03-21', kind: 'holiday', name: 'Nauryz' },
  { date: '2024-03-22', kind: 'holiday', name: 'Nauryz' },
  { date: '2024-03-23', kind: 'holiday', name: 'Nauryz' },
  { date: '2024-03-25', kind: 'observed', name: 'Nauryz (observed)' },
  { date: '2024-05-01', kind: 'holiday', name: 'Kazakhstan People\'s Unity Day' },
  { date: '2024-05-04', kind: 'working', name: 'Working Saturday (decree, day off moved to 2024-05-08)' },
  { date: '2024-05-07', kind: 'holiday', name: 'Defender of the Fatherland Day' },
  { date: '2024-05-08', kind: 'decree', name: 'Day off moved from Saturday 2024-05-04 (decree)' },
  { date: '2024-05-09', kind: 'holiday', name: 'Victory Day' },
  { date: '2024-06-16', kind: 'holiday', name: 'Kurban Ait' },
  { date: '2024-07-06', kind: 'holiday', name: 'Capital Day' },
  { date: '2024-07-08', kind: 'observed', name: 'Capital Day (observed)' },
  { date: '2024-08-30', kind: 'holiday', name: 'Constitution Day' },
  { date: '2024-10-25', kind: 'holiday', name: 'Republic Day' },
  { date: '2024-12-16', kind: 'holiday', name: 'Independence Day' },

  { date: '2025-01-01', kind: 'holiday', name: 'New Year' },
  { date: '2025-01-02', kind: 'holiday', name: 'New Year' },
  { date: '2025-01-03', kind: 'decree', name: 'Day off moved from Sunday 2025-01-05 (decree)' },
  { date: '2025-01-05', kind: 'working', name: 'Working Sunday (decree, day off moved to 2025-01-03)' },
  { date: '2025-01-07', kind: 'holiday', name: 'Orthodox Christmas' },
  { date: '2025-03-08', kind: 'holiday', name: 'International Women\'s Day' },
  { date: '2025-03-10', kind: 'observed', name: 'International Women\'s Day (observed)' },
  { date: '2025-03-21', kind: 'holiday', name: 'Nauryz' },
  { date: '2025-03-22', kind: 'holiday', name: 'Nauryz' },
  { date: '2025-03-23', kind: 'holiday', name: 'Nauryz' },
  { date: '2025-03-24', kind: 'observed', name: 'Nauryz (observed)' },
  { date: '2025-03-25', kind: 'observed', name: 'Nauryz (observed)' },
  { date: '2025-05-01', kind: 'holiday', name: 'Kazakhstan People\'s Unity Day' },
  { date: '2025-05-07', kind: 'holiday', name: 'Defender of the Fatherland Day' },
  { date: '2025-05-09', kind: 'holiday', name: 'Victory Day' },
  { date: '2025-06-06', kind: 'holiday', name: 'Kurban Ait' },
  { date: '2025-07-06', kind: 'holiday', name: 'Capital Day' },
  { date: '2025-07-07', kind: 'observed', name: 'Capital Day (observed)' },
  { date: '2025-08-30', kind: 'holiday', name: 'Constitution Day' },
  { date: '2025-09-01', kind: 'observed', name: 'Constitution Day (observed)' },
  { date: '2025-10-25', kind: 'holiday', name: 'Republic Day' },
  { date: '2025-10-27', kind: 'observed', name: 'Republic Day (observed)' },
  { date: '2025-12-16', kind: 'holiday', name: 'Independence Day' },

  { date: '2026-01-01', kind: 'holiday', name: 'New Year' },
  { date: '2026-01-02', kind: 'holiday', name: 'New Year' },
  { date: '2026-01-07', kind: 'holiday', name: 'Orthodox Christmas' },
  { date: '2026-03-08', kind: 'holiday', name: 'International Women\'s Day' },
  { date: '2026-03-09', kind: 'observed', name: 'International Women\'s Day (observed)' },
  { date: '2026-03-21', kind: 'holiday', name: 'Nauryz' },
  { date: '2026-03-22', kind: 'holiday', name: 'Nauryz' },
  { date: '2026-03-23', kind: 'holiday', name: 'Nauryz' },
  { date: '2026-03-24', kind: 'observed', name: 'Nauryz (observed)' },
  { date: '2026-03-25', kind: 'observed', name: 'Nauryz (observed)' },
  { date: '2026-05-01', kind: 'holiday', name: 'Kazakhstan People\'s Unity Day' },
  { date: '2026-05-07', kind: 'holiday', name: 'Defender of the Fatherland Day' },
  { date: '2026-05-09', kind: 'holiday', name: 'Victory Day' },
  { date: '2026-05-11', kind: 'observed', name: 'Victory Day (observed)' },
  { date: '2026-05-27', kind: 'holiday', name: 'Kurban Ait' },
  { date: '2026-07-06', kind: 'holiday', name: 'Capital Day' },
  // 2026-08-31 (Constitution Day observed) left out on purpose: early-2026
  // calendars list it, but the new constitution in force 2026-07-01 dropped
  // Aug 30 as a holiday. Sources disagree; operators can add the row back.
  { date: '2026-10-25', kind: 'holiday', name: 'Republic Day' },
  { date: '2026-10-26', kind: 'observed', name: 'Republic Day (observed)' },
  { date: '2026-12-16', kind: 'holiday', name: 'Independence Day' },

  { date: '2027-01-01', kind: 'holiday', name: 'New Year' },
  { date: '2027-01-02', kind: 'holiday', name: 'New Year' },
  { date: '2027-01-04', kind: 'observed', name: 'New Year (observed)' },
  { date: '2027-01-07', kind: 'holiday', name: 'Orthodox Christmas' },
  { date: '2027-03-08', kind: 'holiday', name: 'International Women\'s Day' },
  { date: '2027-03-15', kind: 'holiday', name: 'Constitution Day' },
  { date: '2027-03-21', kind: 'holiday', name: 'Nauryz' },
  { date: '2027-03-22', kind: 'holiday', name: 'Nauryz' },
  { date: '2027-03-23', kind: 'holiday', name: 'Nauryz' },
  { date: '2027-03-24', kind: 'observed', name: 'Nauryz (observed)' },
  { date: '2027-05-01', kind: 'holiday', name: 'Kazakhstan People\'s Unity Day' },
  { date: '2027-05-03', kind: 'observed', name: 'Kazakhstan People\'s Unity Day (observed)' },
  { date: '2027-05-07', kind: 'holiday', name: 'Defender of the Fatherland Day' },
  { date: '2027-05-09', kind: 'holiday', name: 'Victory Day' },
  { date: '2027-05-10', kind: 'observed', name: 'Victory Day (observed)' },
  // estimated: the lunar date is confirmed by decree closer to the day
  { date: '2027-05-16', kind: 'holiday', name: 'Kurban Ait' },
  { date: '2027-07-06', kind: 'holiday', name: 'Capital Day' },
  { date: '2027-10-25', kind: 'holiday', name: 'Republic Day' },
  { date: '2027-12-16', kind: 'holiday', name: 'Independence Day' }
]
