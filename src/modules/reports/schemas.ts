import { Type, type Static } from '@sinclair/typebox'
import { StringEnum, Currency, NullableString } from '../../http/schemas.js'
import type { TableColumn } from '../../lib/tabular.js'

const Channel = StringEnum(['card', 'kaspi'], { description: 'The payment\'s channel: whose clearing account the money moved on' })

const Kind = StringEnum(['payment_received', 'refund_paid', 'payment_returned'], {
  description: 'The ledger entry: money in from a payment, a refund paid back to the card, a return of a refused payment (offer cl. 8)'
})

const AlmatyTime = Type.String({
  format: 'date-time',
  description: 'Asia/Almaty\'s clock with its offset, to the second (`2026-12-07T11:20:00+05:00`; +06:00 before 2024-03-01)'
})

export const ReportLineSchema = Type.Object({
  time: AlmatyTime,
  paymentId: Type.String(),
  contractNumber: Type.String(),
  creditor: Type.String(),
  creditorId: Type.String({ description: 'The creditor\'s record (`cred_…`)' }),
  kind: Kind,
  amount: Type.Integer({ minimum: 0, description: 'Tiyn, positive for every kind' }),
  bankPaymentId: NullableString,
  ledgerEntryId: Type.String({ description: 'The journal entry (`le_…`) the line is' }),
  channel: Channel,
  kaspiTxnId: Type.Union([Type.String(), Type.Null()], { description: 'Kaspi\'s transaction id of a Kaspi payment' }),
  paymentCode: Type.String({ description: 'The debt\'s payment code' })
}, { $id: 'DailyReportLine', additionalProperties: false })

const figures = {
  received: Type.Integer({ description: 'Tiyn: payments received' }),
  refunded: Type.Integer({ description: 'Tiyn: refunds paid (external refunds recorded from Kaspi\'s cabinet included)' }),
  returned: Type.Integer({ description: 'Tiyn: payments returned' })
}

export const ReportTotalSchema = Type.Object({
  kind: Type.Literal('total', { description: 'A total row (the CSV\'s `record` column): it has no time' }),
  creditor: Type.String(),
  creditorId: Type.String({ description: 'The creditor\'s record (`cred_…`)' }),
  ...figures,
  net: Type.Integer({ description: 'received - refunded - returned: the day\'s movement of the ledger\'s clearing accounts for this creditor' }),
  channels: Type.Array(Type.Object({
    kind: Type.Literal('channel_total'),
    channel: Channel,
    ...figures,
    net: Type.Integer({ description: 'The day\'s movement of this channel\'s clearing account for this creditor' })
  }, { additionalProperties: false }), { description: 'The same figures per channel that had any, in channel order (card, kaspi); they add up to the creditor\'s' })
}, { $id: 'DailyReportTotal', additionalProperties: false })

export const DailyReportSchema = Type.Object({
  date: Type.Optional(Type.String({ format: 'date', description: 'The day, when the report covers one' })),
  fromDate: Type.String({ format: 'date', description: 'The first Asia/Almaty day covered' }),
  toDate: Type.String({ format: 'date', description: 'The last Asia/Almaty day covered (included)' }),
  timezone: Type.Literal('Asia/Almaty'),
  from: Type.String({ format: 'date-time', description: 'The first day\'s first instant, on Almaty\'s clock' }),
  to: Type.String({ format: 'date-time', description: 'The first instant after the last day (exclusive)' }),
  currency: Currency,
  lines: Type.Array(Type.Ref(ReportLineSchema)),
  totals: Type.Array(Type.Ref(ReportTotalSchema), { description: 'Per creditor, in name order' })
}, {
  $id: 'DailyReport',
  additionalProperties: false,
  examples: [{
    date: '2026-11-25',
    fromDate: '2026-11-25',
    toDate: '2026-11-25',
    timezone: 'Asia/Almaty',
    from: '2026-11-25T00:00:00+05:00',
    to: '2026-11-26T00:00:00+05:00',
    currency: 'KZT',
    lines: [{ time: '2026-11-25T15:02:11+05:00', paymentId: 'pay_0193b3f2a4c07d1e8b5a2f6c9d0e1f23', contractNumber: 'КД-2024/0015', creditor: 'АО «Банк ЦентрКредит»', creditorId: 'cred_0193b3f2a4c07d1e8b5a2f6c9d0e1f24', kind: 'payment_received', amount: 150000, bankPaymentId: '1000001', ledgerEntryId: 'le_0193b3f2a4c07d1e8b5a2f6c9d0e1f24', channel: 'card', kaspiTxnId: null, paymentCode: '12345678903' }],
    totals: [{
      kind: 'total', creditor: 'АО «Банк ЦентрКредит»', creditorId: 'cred_0193b3f2a4c07d1e8b5a2f6c9d0e1f24',
      received: 150000, refunded: 0, returned: 0, net: 150000,
      channels: [{ kind: 'channel_total', channel: 'card', received: 150000, refunded: 0, returned: 0, net: 150000 }]
    }]
  }]
})
export type DailyReport = Static<typeof DailyReportSchema>

/**
 * The CSV's and the XLSX's columns, in order. Columns are only ever added at the end: a spreadsheet built on the file
 * keeps working. `record` is the row's kind: `line`, `total` or `channel_total`. A total row has no `time`: the days
 * it covers are in `period_from` and `period_to`.
 */
export const REPORT_COLUMNS: readonly TableColumn[] = [
  { name: 'record', type: 'text', width: 14 },
  { name: 'time', type: 'time' },
  { name: 'creditor', type: 'text', width: 30 },
  { name: 'contract_number', type: 'text' },
  { name: 'payment_id', type: 'text', width: 38 },
  { name: 'kind', type: 'text', width: 18 },
  { name: 'amount_tiyn', type: 'integer' },
  { name: 'amount_kzt', type: 'tenge' },
  { name: 'bank_payment_id', type: 'text' },
  { name: 'channel', type: 'text', width: 10 },
  { name: 'payment_code', type: 'text', width: 14 },
  { name: 'kaspi_txn_id', type: 'text' },
  { name: 'period_from', type: 'text', width: 12 },
  { name: 'period_to', type: 'text', width: 12 }
]

/** The report's days: `date` (one), or `from` and `to` (both, at most 366 days). */
export const ReportDays = {
  date: Type.Optional(Type.String({
    format: 'date',
    description: 'One Asia/Almaty calendar day, YYYY-MM-DD; or give `from` and `to` instead',
    examples: ['2026-11-25']
  })),
  from: Type.Optional(Type.String({
    format: 'date',
    description: 'The first Asia/Almaty day, YYYY-MM-DD, with `to`',
    examples: ['2026-11-01']
  })),
  to: Type.Optional(Type.String({
    format: 'date',
    description: 'The last Asia/Almaty day (included), with `from`: at most 366 days in all',
    examples: ['2026-11-30']
  }))
}
