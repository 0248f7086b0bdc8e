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
