// The daily reconciliation report (docs/architecture.md, partners, events and webhooks): every payment
// received, refund paid and return of one Asia/Almaty day, one line per
// ledger entry, and totals per creditor made of the same entries' lines on
// the channels' clearing accounts, so they tie to the ledger by construction.
import type { Database } from '../../db/database.js'
import { almatyDay } from '../../lib/almaty-day.js'
import { toPublicId } from '../../lib/ids.js'
import { CURRENCY, formatMinorUnits } from '../../lib/money.js'
import { moneyEntries, type ReportLineRow } from './repository.js'
import { toCsv, type CsvCell } from './csv.js'
import { CSV_COLUMNS, type DailyReport } from './schemas.js'

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

export async function dailyReport (db: Database, date: string, creditors: string[] | null): Promise<DailyReport> {
  const { from, to } = almatyDay(date)
  const rows = await moneyEntries(db, { from, to, creditors })
  const totals = new Map<string, { creditorId: string, all: Figures, channels: Map<string, Figures> }>()
  const lines = rows.map((row) => {
    const signed = BigInt(row.clearing_amount)
    const total = totals.get(row.creditor) ??
      { creditorId: toPublicId('creditor', row.creditor_id), all: noFigures(), channels: new Map<string, Figures>() }
    const ofChannel = total.channels.get(row.channel) ?? noFigures()
    add(total.all, row.kind, signed)
    add(ofChannel, row.kind, signed)
    total.channels.set(row.channel, ofChannel)
    totals.set(row.creditor, total)
    return {
      time: row.created_at.toISOString(),
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
    date,
    timezone: 'Asia/Almaty',
    from: from.toISOString(),
    to: to.toISOString(),
    currency: CURRENCY,
    lines,
    totals: [...totals].sort(([a], [b]) => a.localeCompare(b, 'ru')).map(([creditor, t]) => ({
      creditor,
      creditorId: t.creditorId,
      ...shown(t.all),
      channels: CHANNELS.flatMap((channel) => {
        const figures = t.channels.get(channel)
        return figures === undefined ? [] : [{ channel, ...shown(figures) }]
      })
    }))
  }
}

/**
 * One table: a `line` record per entry, then a `total` record per creditor and figure (all channels, `channel` empty),
 * then a `channel_total` record per creditor, channel and figure.
 */
export function reportCsv (report: DailyReport): string {
  const rows: CsvCell[][] = [[...CSV_COLUMNS]]
  for (const line of report.lines) {
    rows.push(['line', line.time, line.creditor, line.contractNumber, line.paymentId, line.kind, line.amount, formatMinorUnits(BigInt(line.amount)), line.bankPaymentId, line.channel, line.paymentCode, line.kaspiTxnId])
  }
  const FIGURES = ['received', 'refunded', 'returned', 'net'] as const
  for (const total of report.totals) {
    for (const figure of FIGURES) {
      rows.push(['total', report.date, total.creditor, null, null, figure, total[figure], formatMinorUnits(BigInt(total[figure])), null, null, null, null])
    }
  }
  for (const total of report.totals) {
    for (const channel of total.channels) {
      for (const figure of FIGURES) {
        rows.push(['channel_total', report.date, total.creditor, null, null, figure, channel[figure], formatMinorUnits(BigInt(channel[figure])), null, channel.channel, null, null])
      }
    }
  }
  return toCsv(rows)
}
