// The bank's clock: it writes times as 'YYYY-MM-DD HH:mm:ss' local time with no zone, Kazakhstan's single zone,
// UTC+5 (Almaty, since March 2024; no daylight saving). The one place that reads and writes that format.
const OFFSET_MS = 5 * 60 * 60 * 1000
const BANK_TIME = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})$/

/** A bank time as an instant; null when it is missing or not one. */
export function parseBankTime (text: string | undefined): Date | null {
  const match = BANK_TIME.exec(text ?? '')
  if (match === null) return null
  const date = new Date(`${match[1] as string}T${match[2] as string}+05:00`)
  return Number.isNaN(date.getTime()) ? null : date
}

/** An instant as the bank writes it (the sandbox bank's side). */
export function formatBankTime (date: Date): string {
  return new Date(date.getTime() + OFFSET_MS).toISOString().slice(0, 19).replace('T', ' ')
}
