// The reconciliation report (docs/architecture.md, partners, events and webhooks): every payment received, refund
// paid and return of one Asia/Almaty day or a range of days (DESIGN 18), one line per ledger entry, and totals per
// creditor made of the same entries' lines on the channels' clearing accounts, so they tie to the ledger by
// construction. Times are Almaty's clock with its offset; the CSV and XLSX are one table (src/lib/tabular.ts).
import type { Database } from '../../db/database.js'
import { almatyDay, almatyDays, almatyTime } from '../../lib/almaty-day.js'
import { DomainError } from '../../lib/errors.js'
import { toPublicId } from '../../lib/ids.js'
import { CURRENCY } from '../../lib/money.js'
import type { Table, TableCell } from '../../lib/tabular.js'
import { moneyEntries, type ReportLineRow } from './repository.js'
import { REPORT_COLUMNS, type DailyReport } from './schemas.js'

export { almatyDay }

interface Figures { received: bigint, refunded: bigint, returned: bigint, net: bigint }

const CHANNELS = ['card', 'kaspi'] as const

function noFigures (): Figures {
  return { received: 0n, refunded: 0n, returned: 0n, net: 0n }
}

function add (figures: Figures, kind: ReportLineRow['kind'], signed: bigint): void {
  const amount = signed < 0n ? -signed : signed
  if (kind === 'payment_received') figures.received += amount
  else if (kind === 'refund_paid') figures.refunded += amount
  else figures.returned += amount
  figures.net += signed
}

function shown (figures: Figures) {
  return {
    received: Number(figures.received),
    refunded: Number(figures.refunded),
    returned: Number(figures.returned),
    net: Number(figures.net)
  }
}

/** The days a report covers, as asked: `date`, or `from` and `to` (Almaty days, both included). */
export interface ReportDaysQuery { date?: string | undefined, from?: string | undefined, to?: string | undefined }

export interface ReportPeriod { fromDate: string, toDate: string, from: Date, to: Date }

function daysRefused (path: string, message: string): DomainError {
  return new DomainError('invalid_date_range', 'A report covers one `date`, or `from` to `to` (Asia/Almaty days, ' +
    'both included, from <= to, at most 366 days)', { errors: [{ path, message }] })
}

/**
 * The period a query asks for: `date` alone (as always), or `from` and `to` together. 422 `invalid_date` for a day
 * that is not one, 422 `invalid_date_range` for anything else amiss.
 */
export function reportPeriod (query: ReportDaysQuery): ReportPeriod {
  const { date, from, to } = query
  if (date !== undefined) {
    if (from !== undefined || to !== undefined) throw daysRefused('querystring.date', 'give `date`, or `from` and `to`, not both')
    return { fromDate: date, toDate: date, ...almatyDay(date) }
  }
  if (from === undefined || to === undefined) {
    throw daysRefused(from === undefined ? 'querystring.from' : 'querystring.to', 'give `date`, or `from` and `to` together')
  }
  const range = almatyDays(from, to)
  return { fromDate: from, toDate: to, from: range.from, to: range.to }
}

export async function dailyReport (
  db: Database, period: ReportPeriod, creditors: string[] | null, maxLines: number
): Promise<DailyReport> {
  const { from, to } = period
  // one more than the most: whether there are more is known without counting them
  const rows = await moneyEntries(db, { from, to, creditors, limit: maxLines + 1 })
  if (rows.length > maxLines) {
    throw new DomainError('report_too_large', `The report would hold more than ${maxLines} lines: narrow the date ` +
      'range (or the creditor)', { facts: { maxLines } })
  }
  // one total per creditor record, named as on record: the debts of one creditor may spell it several ways
  const totals = new Map<string, { creditorId: string, all: Figures, channels: Map<string, Figures> }>()
  const lines = rows.map((row) => {
    const signed = BigInt(row.clearing_amount)
    const total = totals.get(row.creditor_name) ??
      { creditorId: toPublicId('creditor', row.creditor_id), all: noFigures(), channels: new Map<string, Figures>() }
    const ofChannel = total.channels.get(row.channel) ?? noFigures()
    add(total.all, row.kind, signed)
    add(ofChannel, row.kind, signed)
    total.channels.set(row.channel, ofChannel)
    totals.set(row.creditor_name, total)
    return {
      time: almatyTime(row.created_at),
      paymentId: toPublicId('payment', row.payment_id),
      contractNumber: row.contract_number,
      creditor: row.creditor,
      creditorId: toPublicId('creditor', row.creditor_id),
      kind: row.kind,
      amount: Number(signed < 0n ? -signed : signed),
      bankPaymentId: row.bank_payment_id,
      ledgerEntryId: toPublicId('ledgerEntry', row.entry_id),
      channel: row.channel,
      kaspiTxnId: row.kaspi_txn_id,
      paymentCode: row.payment_code
    }
  })
  return {
    ...(period.fromDate === period.toDate ? { date: period.fromDate } : {}),
    fromDate: period.fromDate,
    toDate: period.toDate,
    timezone: 'Asia/Almaty',
    from: almatyTime(from),
    to: almatyTime(to),
    currency: CURRENCY,
    lines,
    totals: [...totals].sort(([a], [b]) => a.localeCompare(b, 'ru')).map(([creditor, t]) => ({
      kind: 'total' as const,
      creditor,
      creditorId: t.creditorId,
      ...shown(t.all),
      channels: CHANNELS.flatMap((channel) => {
        const figures = t.channels.get(channel)
        return figures === undefined ? [] : [{ kind: 'channel_total' as const, channel, ...shown(figures) }]
      })
    }))
  }
}

const FIGURES = ['received', 'refunded', 'returned', 'net'] as const

function* reportRows (report: DailyReport): Generator<TableCell[]> {
  for (const line of report.lines) {
    yield ['line', line.time, line.creditor, line.contractNumber, line.paymentId, line.kind, line.amount, line.amount,
      line.bankPaymentId, line.channel, line.paymentCode, line.kaspiTxnId, null, null]
  }
  const period = [report.fromDate, report.toDate]
  for (const total of report.totals) {
    for (const figure of FIGURES) {
      yield ['total', null, total.creditor, null, null, figure, total[figure], total[figure], null, null, null, null,
        ...period]
    }
  }
  for (const total of report.totals) {
    for (const channel of total.channels) {
      for (const figure of FIGURES) {
        yield ['channel_total', null, total.creditor, null, null, figure, channel[figure], channel[figure], null,
          channel.channel, null, null, ...period]
      }
    }
  }
}

/**
 * The report as one table (the CSV's and the XLSX's): a `line` row per entry, then a `total` row per creditor and
 * figure (all channels, `channel` empty), then a `channel_total` row per creditor, channel and figure. The figure's
 * name is in `kind`; a total row's time is empty, its days in `period_from` and `period_to`.
 */
export function reportTable (report: DailyReport): Table {
  return { sheet: 'report', columns: REPORT_COLUMNS, rows: reportRows(report) }
}

/** The file's name without its extension: `report-2026-11-25`, or `report-2026-11-01_2026-11-30`. */
export function reportFilename (report: DailyReport): string {
  return report.fromDate === report.toDate ? `report-${report.fromDate}` : `report-${report.fromDate}_${report.toDate}`
}
