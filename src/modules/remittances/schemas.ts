import { Type, type Static } from '@sinclair/typebox'
import { publicIdPattern } from '../../lib/ids.js'
import { AmountInput, Currency, MAX_AMOUNT, StringEnum, Timestamp } from '../../http/schemas.js'
import type { TableColumn } from '../../lib/tabular.js'

const Day = (description: string) => Type.String({ pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}$', description })

export const RemittanceSchema = Type.Object({
  id: Type.String({ pattern: publicIdPattern('remittance') }),
  creditorId: Type.String({ pattern: publicIdPattern('creditor') }),
  amount: Type.Integer({ minimum: 1, maximum: MAX_AMOUNT, description: 'Tiyn' }),
  reference: Type.String({ description: 'The bank transfer\'s number, as given' }),
  date: Type.String({ format: 'date', description: 'The transfer\'s Asia/Almaty date' }),
  ledgerEntryId: Type.String({ description: 'The `remittance` journal entry (`le_…`): bank -amount, payable +amount' }),
  createdAt: Timestamp
}, {
  $id: 'Remittance',
  additionalProperties: false,
  examples: [{
    id: 'rem_0193b3f2a4c07d1e8b5a2f6c9d0e1f30', creditorId: 'cred_0193b3f2a4c07d1e8b5a2f6c9d0e1f23', amount: 4375000,
    reference: 'ПП-000123', date: '2026-12-01', ledgerEntryId: 'le_0193b3f2a4c07d1e8b5a2f6c9d0e1f31',
    createdAt: '2026-12-01T06:20:00.000Z'
  }]
})
export type Remittance = Static<typeof RemittanceSchema>

export const CreateRemittanceBody = Type.Object({
  amount: AmountInput('Tiyn sent to the creditor; at most what the agency owes it now'),
  reference: Type.String({ minLength: 1, maxLength: 64, description: 'The bank transfer\'s number, 1-64 characters' }),
  date: Day('The transfer\'s Asia/Almaty date, YYYY-MM-DD, not in the future')
}, { additionalProperties: false, examples: [{ amount: 4375000, reference: 'ПП-000123', date: '2026-12-01' }] })
export type CreateRemittanceInput = Static<typeof CreateRemittanceBody>

export const RemittanceListQuery = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20, description: 'Page size (1-100)' })),
  startingAfter: Type.Optional(Type.String({
    pattern: publicIdPattern('remittance'), description: 'The `nextCursor` of the previous page'
  }))
}, { additionalProperties: false })

const LINE_KINDS = ['collected', 'commission', 'refunded', 'remitted'] as const
export type StatementLineKind = (typeof LINE_KINDS)[number]

export const StatementLineSchema = Type.Object({
  date: Type.String({ format: 'date', description: 'The Asia/Almaty day the ledger booked it' }),
  time: Type.String({ format: 'date-time', description: 'When the ledger booked it, Almaty\'s clock with its offset' }),
  kind: StringEnum(LINE_KINDS, {
    description: 'The figure the line adds to: `collected` (a payment applied to the creditor\'s debt), ' +
      '`commission` (the agency\'s commission on it; negative when a refund gives it back), `refunded` (a refund or ' +
      'return restoring the debt), `remitted` (a transfer to the creditor)'
  }),
  amount: Type.Integer({
    minimum: -MAX_AMOUNT, maximum: MAX_AMOUNT,
    description: 'Tiyn; positive, except a commission given back by a refund (negative)'
  }),
  entryKind: StringEnum(['payment_received', 'refund_paid', 'payment_returned', 'remittance'] as const, {
    description: 'The ledger entry the line comes from'
  }),
  ledgerEntryId: Type.String({ description: 'The journal entry (`le_…`)' }),
  paymentId: Type.Optional(Type.String({ description: 'The payment (`pay_…`) of a collected, commission or refunded line' })),
  refundId: Type.Optional(Type.String({ description: 'The refund or return (`ref_…`) of a refunded line' })),
  remittanceId: Type.Optional(Type.String({ description: 'The remittance (`rem_…`) of a remitted line' })),
  reference: Type.Optional(Type.String({ description: 'A remitted line\'s bank transfer number' })),
  transferDate: Type.Optional(Type.String({ format: 'date', description: 'A remitted line\'s transfer date' }))
}, { $id: 'StatementLine', additionalProperties: false })

const Figure = (description: string) => Type.Integer({ minimum: -MAX_AMOUNT, maximum: MAX_AMOUNT, description })

export const StatementSchema = Type.Object({
  creditorId: Type.String({ pattern: publicIdPattern('creditor') }),
  creditor: Type.String({ description: 'The creditor\'s name now' }),
  agreement: StringEnum(['assignment', 'agency'] as const, { description: 'The creditor\'s agreement now' }),
  basis: StringEnum(['payable', 'collections'] as const, {
    description: '`payable`: the figures are the creditor\'s payable account (an agency creditor, or one that ever ' +
      'was); closing = opening + collected - refunded - commission - remitted. `collections`: an assignment ' +
      'creditor, owed nothing: collected and refunded are its debts\' receivable lines, the rest 0'
  }),
  from: Type.String({ format: 'date', description: 'The first Asia/Almaty day covered' }),
  to: Type.String({ format: 'date', description: 'The last Asia/Almaty day covered (included)' }),
  timezone: Type.Literal('Asia/Almaty'),
  currency: Currency,
  opening: Figure('Tiyn owed to the creditor at the first instant of `from` (the payable balance, as owed)'),
  collected: Figure('Tiyn of payments applied to the creditor\'s debts (never the overpaid excess)'),
  refunded: Figure('Tiyn of those restored to the debts by refunds and returns'),
  commission: Figure('Tiyn: the agency\'s commission on what was collected, less what refunds gave back'),
  remitted: Figure('Tiyn transferred to the creditor'),
  closing: Figure('Tiyn owed at the end of `to`'),
  lines: Type.Array(Type.Ref(StatementLineSchema), { description: 'In time order; each kind sums to its figure' })
}, {
  $id: 'Statement',
  additionalProperties: false,
  examples: [{
    creditorId: 'cred_0193b3f2a4c07d1e8b5a2f6c9d0e1f23', creditor: 'АО «Банк ЦентрКредит»', agreement: 'agency',
    basis: 'payable', from: '2026-12-01', to: '2026-12-31', timezone: 'Asia/Almaty', currency: 'KZT',
    opening: 0, collected: 5000000, refunded: 0, commission: 625000, remitted: 4375000, closing: 0,
    lines: [
      {
        date: '2026-12-01', time: '2026-12-01T11:20:00+05:00', kind: 'collected', amount: 5000000,
        entryKind: 'payment_received', ledgerEntryId: 'le_0193b3f2a4c07d1e8b5a2f6c9d0e1f25',
        paymentId: 'pay_0193b3f2a4c07d1e8b5a2f6c9d0e1f21'
      },
      {
        date: '2026-12-01', time: '2026-12-01T11:20:00+05:00', kind: 'commission', amount: 625000,
        entryKind: 'payment_received', ledgerEntryId: 'le_0193b3f2a4c07d1e8b5a2f6c9d0e1f25',
        paymentId: 'pay_0193b3f2a4c07d1e8b5a2f6c9d0e1f21'
      },
      {
        date: '2026-12-02', time: '2026-12-02T10:00:00+05:00', kind: 'remitted', amount: 4375000,
        entryKind: 'remittance', ledgerEntryId: 'le_0193b3f2a4c07d1e8b5a2f6c9d0e1f31',
        remittanceId: 'rem_0193b3f2a4c07d1e8b5a2f6c9d0e1f30', reference: 'ПП-000123', transferDate: '2026-12-02'
      }
    ]
  }]
})
export type Statement = Static<typeof StatementSchema>
export type StatementLine = Static<typeof StatementLineSchema>

export const StatementDays = {
  from: Day('The first Asia/Almaty day, YYYY-MM-DD'),
  to: Day('The last Asia/Almaty day (included), at most 366 days from `from`')
}

/** The statement's CSV and XLSX columns: a `line` row per line, then a `total` row per figure. */
export const STATEMENT_COLUMNS: readonly TableColumn[] = [
  { name: 'record', type: 'text', width: 8 },
  { name: 'date', type: 'text', width: 12 },
  { name: 'time', type: 'time', width: 26 },
  { name: 'kind', type: 'text', width: 12 },
  { name: 'amount_tiyn', type: 'integer', width: 14 },
  { name: 'amount_kzt', type: 'tenge', width: 16 },
  { name: 'entry_kind', type: 'text', width: 18 },
  { name: 'payment_id', type: 'text', width: 38 },
  { name: 'refund_id', type: 'text', width: 38 },
  { name: 'remittance_id', type: 'text', width: 38 },
  { name: 'reference', type: 'text', width: 20 },
  { name: 'transfer_date', type: 'text', width: 12 },
  { name: 'ledger_entry_id', type: 'text', width: 38 },
  { name: 'creditor_id', type: 'text', width: 38 },
  { name: 'period_from', type: 'text', width: 12 },
  { name: 'period_to', type: 'text', width: 12 }
]
