import { Type, type Static } from '@sinclair/typebox'
import { publicIdPattern } from '../../lib/ids.js'
import { MAX_AMOUNT, StringEnum, Timestamp, paginationQuery } from '../../http/schemas.js'

const SettlementId = Type.String({
  pattern: publicIdPattern('settlement'), examples: ['stl_0193b3f2a4c07d1e8b5a2f6c9d0e1f23']
})
const PaymentId = Type.String({ pattern: publicIdPattern('payment') })
export const SETTLEMENT_CHANNELS = ['card', 'kaspi'] as const
export const SettlementChannelSchema = StringEnum(SETTLEMENT_CHANNELS, { description: 'The channel that paid out' })
const Tiyn = (description: string) => Type.Integer({ minimum: 0, maximum: MAX_AMOUNT, description: `Tiyn: ${description}` })
export const UNMATCHED_REASONS = ['unknown_payment', 'already_settled', 'amount_mismatch', 'not_succeeded'] as const

const figures = {
  id: SettlementId,
  channel: SettlementChannelSchema,
  payoutId: Type.String({ description: 'The acquirer\'s payout id, as in the file' }),
  payoutDate: Type.String({ format: 'date', description: 'The payout\'s date, as in the file' }),
  lines: Type.Integer({ minimum: 1, description: 'Lines in the file' }),
  matched: Type.Integer({ minimum: 0, description: 'Lines booked: our succeeded, unsettled payments with that amount' }),
  gross: Tiyn('the matched lines\' amounts'),
  fees: Tiyn('the matched lines\' fees'),
  net: Tiyn('gross - fees: what reached the agency\'s bank account for the matched lines'),
  entryId: Type.Union([Type.String({ pattern: publicIdPattern('ledgerEntry') }), Type.Null()], {
    description: 'The `settlement` ledger entry (clearing -gross, bank +net, fees +fees); null when nothing matched'
  })
}

export const SettlementSchema = Type.Object({
  ...figures,
  unmatched: Type.Array(Type.Object({
    line: Type.Integer({ minimum: 2, description: 'The file\'s line (the header is line 1)' }),
    reference: Type.String({ description: 'The line\'s reference (withheld when it looks like a card number)' }),
    reason: StringEnum(UNMATCHED_REASONS, {
      description: '`unknown_payment`: no payment of the channel with this reference; `already_settled`: settled ' +
        'by an earlier payout or an earlier line of this file; `amount_mismatch`: the payment has another amount; ' +
        '`not_succeeded`: the payment is not succeeded (pending, failed, expired or returned)'
    })
  }, { additionalProperties: false }), {
    description: 'Lines not booked, in file order; their payments (when known) are flagged for review'
  }),
  createdAt: Timestamp
}, {
  $id: 'Settlement',
  additionalProperties: false,
  examples: [{
    id: 'stl_0193b3f2a4c07d1e8b5a2f6c9d0e1f23',
    channel: 'card',
    payoutId: 'PO-20261207-001',
    payoutDate: '2026-12-07',
    lines: 12,
    matched: 10,
    gross: 1500000,
    fees: 37500,
    net: 1462500,
    entryId: 'le_0193b3f2a4c07d1e8b5a2f6c9d0e1f24',
    unmatched: [
      { line: 12, reference: '884213907', reason: 'unknown_payment' },
      { line: 13, reference: '884213455', reason: 'amount_mismatch' }
    ],
    createdAt: '2026-12-07T06:00:00.000Z'
  }]
})
export type Settlement = Static<typeof SettlementSchema>

export const SettlementSummarySchema = Type.Object({
  ...figures,
  unmatchedCount: Type.Integer({ minimum: 0 }),
  createdAt: Timestamp
}, { $id: 'SettlementSummary', additionalProperties: false })

export const OverduePaymentSchema = Type.Object({
  id: PaymentId,
  channel: SettlementChannelSchema,
  amount: Tiyn('the payment\'s amount'),
  reference: Type.String({ description: 'What the payout will name it by: the bank\'s payment id, or Kaspi\'s txn_id' }),
  paidAt: Timestamp,
  dueDate: Type.String({
    format: 'date',
    description: 'The Asia/Almaty day its payout was due: SETTLEMENT_OVERDUE_DAYS business days after it was paid'
  })
}, {
  $id: 'OverduePayment',
  additionalProperties: false,
  examples: [{
    id: 'pay_0193b3f2a4c07d1e8b5a2f6c9d0e1f25',
    channel: 'card',
    amount: 150000,
    reference: '884213907',
    paidAt: '2026-12-01T09:30:00.000Z',
    dueDate: '2026-12-04'
  }]
})
export type OverduePayment = Static<typeof OverduePaymentSchema>

export const SettlementUploadQuery = Type.Object({ channel: SettlementChannelSchema }, { additionalProperties: false })

export const SettlementListQuery = Type.Object({
  channel: Type.Optional(SettlementChannelSchema),
  ...paginationQuery(publicIdPattern('settlement'))
}, { additionalProperties: false })

export const OverdueListQuery = Type.Object({
  channel: Type.Optional(SettlementChannelSchema),
  ...paginationQuery(publicIdPattern('payment'))
}, { additionalProperties: false })

export const SettlementParams = Type.Object({ id: SettlementId }, { additionalProperties: false })
