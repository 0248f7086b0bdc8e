// An Asia/Almaty calendar day as the instants it spans: what a daily report and a channel's daily registry cover.
import { almatyDate } from './calendar.js'
import { DomainError } from './errors.js'

const HOUR_MS = 3_600_000

/** The first day a report may be asked for: long before the service, after Almaty's last change of offset rules. */
const FIRST_REPORT_DAY = '2000-01-01'

/** The first instant of an Almaty calendar day (UTC+5 since 2024-03-01, UTC+6 before, UTC+7 in summers to 2004). */
function almatyDayStart (date: string): Date | null {
  const midnightUtc = Date.parse(`${date}T00:00:00.000Z`)
  for (const offsetHours of [5, 6, 7]) {
    const start = new Date(midnightUtc - offsetHours * HOUR_MS)
    if (almatyDate(start) === date && almatyDate(new Date(start.getTime() - 1)) !== date) return start
  }
  return null
}

function nextDay (date: string): string {
  return new Date(Date.parse(`${date}T00:00:00.000Z`) + 24 * HOUR_MS).toISOString().slice(0, 10)
}

/** An Almaty calendar day as instants; 422 `invalid_date` for anything but a real day from 2000-01-01 to 9999-12-30. */
export function almatyDay (date: string): { from: Date, to: Date } {
  const real = /^\d{4}-\d{2}-\d{2}$/.test(date) && !Number.isNaN(Date.parse(`${date}T00:00:00.000Z`)) &&
    new Date(`${date}T00:00:00.000Z`).toISOString().slice(0, 10) === date
  const from = real && date >= FIRST_REPORT_DAY && date < '9999-12-31' ? almatyDayStart(date) : null
  const to = from === null ? null : almatyDayStart(nextDay(date))
  if (from === null || to === null) {
    const detail = `The date must be a real calendar day, YYYY-MM-DD, from ${FIRST_REPORT_DAY} to 9999-12-30`
    const errors = [{ path: 'querystring.date', message: 'not a calendar day in range' }]
    throw new DomainError('invalid_date', detail, { errors })
  }
  return { from, to }
}

/** The most days one report covers: a leap year. */
export const MAX_RANGE_DAYS = 366

function rangeError (path: string, message: string): DomainError {
  const detail = `A report covers \`from\` to \`to\`: Asia/Almaty days, from <= to, at most ${MAX_RANGE_DAYS} days`
  return new DomainError('invalid_date_range', detail, { errors: [{ path, message }] })
}

/**
 * Almaty days `from` to `to`, both included, as the instants they span: 422 `invalid_date` for a day that is not one
 * (its own parameter named), 422 `invalid_date_range` when `to` is before `from` or the range is longer than a year.
 */
export function almatyDays (fromDate: string, toDate: string): { from: Date, to: Date, days: number } {
  const named = (date: string, path: string): { from: Date, to: Date } => {
    try {
      return almatyDay(date)
    } catch (error) {
      if (!(error instanceof DomainError)) throw error
      throw new DomainError('invalid_date', error.message, { errors: [{ path, message: 'not a calendar day in range' }] })
    }
  }
  const first = named(fromDate, 'querystring.from')
  const last = named(toDate, 'querystring.to')
  if (toDate < fromDate) throw rangeError('querystring.to', 'before from')
  const days = Math.round((Date.parse(`${toDate}T00:00:00.000Z`) - Date.parse(`${fromDate}T00:00:00.000Z`)) / (24 * HOUR_MS)) + 1
  if (days > MAX_RANGE_DAYS) throw rangeError('querystring.to', `more than ${MAX_RANGE_DAYS} days from \`from\`, both included`)
  return { from: first.from, to: last.to, days }
}

const ALMATY_CLOCK = new Intl.DateTimeFormat('en-US', {
  timeZone: 'Asia/Almaty',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hourCycle: 'h23',
  timeZoneName: 'longOffset'
})

/**
 * An instant as Almaty's wall clock with its offset, to the second: `2026-12-07T11:20:00+05:00` (ISO 8601, the same
 * instant as `…T06:20:00Z`). The offset comes from the time zone database, not a constant: +05:00 since 2024-03-01,
 * +06:00 before, so an old day's times read as the clocks in Almaty read then.
 */
export function almatyTime (instant: Date): string {
  if (Number.isNaN(instant.getTime())) throw new RangeError('invalid instant')
  const parts = new Map(ALMATY_CLOCK.formatToParts(instant).map((part) => [part.type, part.value]))
  const zone = String(parts.get('timeZoneName')) // `GMT+05:00`
  const offset = zone === 'GMT' ? '+00:00' : zone.slice(3)
  const year = String(parts.get('year')).padStart(4, '0')
  return `${year}-${String(parts.get('month'))}-${String(parts.get('day'))}T${String(parts.get('hour'))}:` +
    `${String(parts.get('minute'))}:${String(parts.get('second'))}${offset}`
}
