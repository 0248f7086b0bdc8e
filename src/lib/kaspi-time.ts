// Kaspi's clock: `txn_date` is `YYYYMMDDHHMMSS`, local time with no zone. Kazakhstan has one zone, UTC+5 (Almaty,
// since March 2024; no daylight saving), as the bank's clock (bank/time.ts). A registry's day is that zone's day. The
// one place that reads and writes the format: the channel, the Kaspi sandbox and the registry all go through it.
const OFFSET = '+05:00'
const OFFSET_MS = 5 * 60 * 60 * 1000
const KASPI_TIME = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/
const DAY = /^\d{4}-\d{2}-\d{2}$/

/** A `txn_date` as an instant; null when it is not a real moment written so (`20261325…`, `20260230…`). */
export function parseKaspiTime (text: string): Date | null {
  const match = KASPI_TIME.exec(text)
  if (match === null) return null
  const [year, month, day, hour, minute, second] = match.slice(1) as [string, string, string, string, string, string]
  const date = new Date(`${year}-${month}-${day}T${hour}:${minute}:${second}${OFFSET}`)
  // Date rolls 30 February over into March: a date that does not read back as written is not one
  return Number.isNaN(date.getTime()) || formatKaspiTime(date) !== text ? null : date
}

/** An instant as Kaspi writes it. */
export function formatKaspiTime (date: Date): string {
  return new Date(date.getTime() + OFFSET_MS).toISOString().slice(0, 19).replace(/[-T:]/g, '')
}

/** The instants an Almaty day `YYYY-MM-DD` spans, `[from, to)`; null when it is not a calendar day. */
export function kaspiDay (day: string): { from: Date, to: Date } | null {
  if (!DAY.test(day)) return null
  const from = new Date(`${day}T00:00:00${OFFSET}`)
  if (Number.isNaN(from.getTime()) || formatKaspiTime(from).slice(0, 8) !== day.replaceAll('-', '')) return null
  return { from, to: new Date(from.getTime() + 24 * 60 * 60 * 1000) }
}
