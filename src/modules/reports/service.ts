// The daily reconciliation report (docs/architecture.md, partners, events and webhooks): every payment
// received, refund paid and return of one Asia/Almaty day, one line per
// ledger entry, and totals per creditor made of the same entries' lines on
// the channels' clearing accounts, so they tie to the ledger by construction.
import type { Database } from '../../db/database.js'
import { almatyDate } from '../../lib/calendar.js'
import { toPublicId } from '../../lib/ids.js'
import { CURRENCY, formatMinorUnits } from '../../lib/money.js'
import { DomainError } from '../../lib/errors.js'
import { moneyEntries } from './repository.js'
import { toCsv, type CsvCell } from './csv.js'
import { CSV_COLUMNS, type DailyReport } from './schemas.js'

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

export async function dailyReport (db: Database, date: string, creditors: string[] | null): Promise<DailyReport> {
  const { from, to } = almatyDay(date)
  const rows = await moneyEntries(db, { from, to, creditors })
  const totals = new Map<string, { received: bigint, refunded: bigint, returned: bigint, net: bigint }>()
  const lines = rows.map((row) => {
    const signed = BigInt(row.clearing_amount)
    const total = totals.get(row.creditor) ?? { received: 0n, refunded: 0n, returned: 0n, net: 0n }
    const amount = signed < 0n ? -signed : signed
    if (row.kind === 'payment_received') total.received += amount
    else if (row.kind === 'refund_paid') total.refunded += amount
    else total.returned += amount
    total.net += signed
    totals.set(row.creditor, total)
    return {
      time: row.created_at.toISOString(),
      paymentId: toPublicId('payment', row.payment_id),
      contractNumber: row.contract_number,
      creditor: row.creditor,
      kind: row.kind,
      amount: Number(amount),
      bankPaymentId: row.bank_payment_id,
      ledgerEntryId: toPublicId('ledgerEntry', row.entry_id)
    }
  })
  return {
    date,
    timezone: 'Asia/Almaty',
    from: from.toISOString(),
    to: to.toISOString(),
    currency: CURRENCY,
    lines,
    totals: [...totals].sort(([a], [b]) => a.localeCompare(b, 'ru')).map(([creditor, t]) => ({
      creditor,
      received: Number(t.received),
      refunded: Number(t.refunded),
      returned: Number(t.returned),
      net: Number(t.net)
    }))
  }
}

/** One table: a `line` record per entry, then a `total` record per creditor and figure. */
export function reportCsv (report: DailyReport): string {
  const rows: CsvCell[][] = [[...CSV_COLUMNS]]
  for (const line of report.lines) {
    rows.push(['line', line.time, line.creditor, line.contractNumber, line.paymentId, line.kind, line.amount, formatMinorUnits(BigInt(line.amount)), line.bankPaymentId])
  }
  for (const total of report.totals) {
    for (const figure of ['received', 'refunded', 'returned', 'net'] as const) {
      rows.push(['total', report.date, total.creditor, null, null, figure, total[figure], formatMinorUnits(BigInt(total[figure])), null])
    }
  }
  return toCsv(rows)
}
