import { Type, type Static } from '@sinclair/typebox'
import { StringEnum, Currency, Timestamp, NullableString } from '../../http/schemas.js'

const Channel = StringEnum(['card', 'kaspi'], { description: 'The payment\'s channel: whose clearing account the money moved on' })

const Kind = StringEnum(['payment_received', 'refund_paid', 'payment_returned'], {
  description: 'The ledger entry: money in from a payment, a refund paid back to the card, a return of a refused payment (offer cl. 8)'
})

export const ReportLineSchema = Type.Object({
  time: Timestamp,
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
  creditor: Type.String(),
  creditorId: Type.String({ description: 'The creditor\'s record (`cred_…`)' }),
  ...figures,
  net: Type.Integer({ description: 'received - refunded - returned: the day\'s movement of the ledger\'s clearing accounts for this creditor' }),
  channels: Type.Array(Type.Object({
    channel: Channel,
    ...figures,
    net: Type.Integer({ description: 'The day\'s movement of this channel\'s clearing account for this creditor' })
  }, { additionalProperties: false }), { description: 'The same figures per channel that had any, in channel order (card, kaspi); they add up to the creditor\'s' })
}, { $id: 'DailyReportTotal', additionalProperties: false })

export const DailyReportSchema = Type.Object({
  date: Type.String({ format: 'date' }),
  timezone: Type.Literal('Asia/Almaty'),
  from: Type.String({ format: 'date-time', description: 'The day\'s first instant' }),
  to: Type.String({ format: 'date-time', description: 'The next day\'s first instant (exclusive)' }),
  currency: Currency,
  lines: Type.Array(Type.Ref(ReportLineSchema)),
  totals: Type.Array(Type.Ref(ReportTotalSchema), { description: 'Per creditor, in name order' })
}, {
  $id: 'DailyReport',
  additionalProperties: false,
  examples: [{
    date: '2026-11-25',
    timezone: 'Asia/Almaty',
    from: '2026-11-24T19:00:00.000Z',
    to: '2026-11-25T19:00:00.000Z',
    currency: 'KZT',
    lines: [{ time: '2026-11-25T10:02:11.000Z', paymentId: 'pay_0193b3f2a4c07d1e8b5a2f6c9d0e1f23', contractNumber: 'КД-2024/0015', creditor: 'АО «Банк ЦентрКредит»', creditorId: 'cred_0193b3f2a4c07d1e8b5a2f6c9d0e1f24', kind: 'payment_received', amount: 150000, bankPaymentId: '1000001', ledgerEntryId: 'le_0193b3f2a4c07d1e8b5a2f6c9d0e1f24', channel: 'card', kaspiTxnId: null, paymentCode: '12345678903' }],
    totals: [{ creditor: 'АО «Банк ЦентрКредит»', creditorId: 'cred_0193b3f2a4c07d1e8b5a2f6c9d0e1f24', received: 150000, refunded: 0, returned: 0, net: 150000, channels: [{ channel: 'card', received: 150000, refunded: 0, returned: 0, net: 150000 }] }]
  }]
})
export type DailyReport = Static<typeof DailyReportSchema>

/** Columns are only ever added at the end: a spreadsheet built on the file keeps working. */
export const CSV_COLUMNS = [
  'record', 'time', 'creditor', 'contract_number', 'payment_id', 'kind', 'amount_tiyn', 'amount_kzt', 'bank_payment_id',
  'channel', 'payment_code', 'kaspi_txn_id'
] as const

export const ReportDate = Type.String({ format: 'date', description: 'The Asia/Almaty calendar day, YYYY-MM-DD', examples: ['2026-11-25'] })

export const ReportHeaders = Type.Object({
  accept: Type.Optional(Type.String({ maxLength: 500, description: '`text/csv` for the CSV file (RFC 4180, UTF-8 with BOM); JSON otherwise' }))
}, { additionalProperties: true })
