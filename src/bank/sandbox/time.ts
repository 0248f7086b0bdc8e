/**
 * The bank writes times as 'YYYY-MM-DD HH:mm:ss' local time, no zone:
 * Kazakhstan's single zone, UTC+5 since March 2024.
 */
const OFFSET_MS = 5 * 60 * 60 * 1000

export function bankTime (date: Date): string {
  return new Date(date.getTime() + OFFSET_MS).toISOString().slice(0, 19).replace('T', ' ')
}
