// Succeeded payments still waiting for their payout (DESIGN 18): listed, counted for the metric, and checked daily
// (an error-level log). A payment paid on Almaty day P is due by the SETTLEMENT_OVERDUE_DAYS-th Kazakhstan business
// day after P, and overdue from the day after.
import type { Database } from '../../db/database.js'
import { addBusinessDays, almatyDate } from '../../lib/calendar.js'
import { almatyDay } from '../../lib/almaty-day.js'
import { fromPublicId, toPublicId } from '../../lib/ids.js'
import { toPage } from '../../lib/page.js'
import { loadCalendar } from '../calendar/service.js'
import { unsettledCounts, unsettledPaidBefore, type UnsettledPayment } from './repository.js'
import type { OverduePayment } from './schemas.js'
import type { SettlementChannel } from './tables.js'

const DAY_MS = 86_400_000

function shiftDay (date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00.000Z`) + days * DAY_MS).toISOString().slice(0, 10)
}

/**
 * A payment paid on Almaty day P is due to be paid out by the `days`-th business day after P, and overdue from the
 * day after that. The instant before which a payment is overdue at `now`: the start of the day after the latest P
 * whose due day is before today (due days only grow with P, so walking back from yesterday finds it).
 */
async function overdueCutoff (
  db: Database, days: number, now: Date
): Promise<{ cutoff: Date, due: (paidAt: Date) => string }> {
  const calendar = await loadCalendar(db)
  const today = almatyDate(now)
  let paid = shiftDay(today, -1)
  while (addBusinessDays(paid, days, calendar) >= today) paid = shiftDay(paid, -1)
  return {
    cutoff: almatyDay(shiftDay(paid, 1)).from,
    due: (paidAt) => addBusinessDays(almatyDate(paidAt), days, calendar)
  }
}

/** Succeeded payments no payout settled within `days` business days, oldest first. */
export async function listOverduePage (
  db: Database, days: number,
  query: { channel?: SettlementChannel, limit?: number, startingAfter?: string }, now = new Date()
) {
  const limit = query.limit ?? 20
  const { cutoff, due } = await overdueCutoff(db, days, now)
  const rows = await unsettledPaidBefore(db, {
    cutoff,
    channel: query.channel,
    limit,
    startingAfter: query.startingAfter === undefined ? null : fromPublicId('payment', query.startingAfter)
  })
  const view = (row: UnsettledPayment): OverduePayment => ({
    id: toPublicId('payment', row.id),
    channel: row.channel,
    amount: Number(row.amount),
    reference: row.reference ?? '',
    paidAt: row.paid_at.toISOString(),
    dueDate: due(row.paid_at)
  })
  return toPage(rows, limit, (shown) => shown.map(view))
}

/** Overdue payments per channel (both channels, 0 when none): the metric's figure. */
export async function overdueCounts (
  db: Database, days: number, now = new Date()
): Promise<Record<SettlementChannel, number>> {
  const counts = await unsettledCounts(db, (await overdueCutoff(db, days, now)).cutoff)
  return { card: counts.get('card') ?? 0, kaspi: counts.get('kaspi') ?? 0 }
}

/** The daily check: an error-level log (an alert) when any succeeded payment waits past its payout. */
export async function verifySettlements (
  db: Database, days: number,
  log: { error: (obj: object, msg: string) => void, info: (obj: object, msg: string) => void }, now = new Date()
): Promise<Record<SettlementChannel, number>> {
  const overdue = await overdueCounts(db, days, now)
  if (overdue.card + overdue.kaspi === 0) log.info({ overdue }, 'every payment is settled within its payout days')
  else log.error({ overdue, days }, 'payments not settled by their acquirer\'s payout: see GET /v1/admin/settlements/overdue')
  return overdue
}
