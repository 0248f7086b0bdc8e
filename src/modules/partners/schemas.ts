import { Type, type Static } from '@sinclair/typebox'
import { publicIdPattern } from '../../lib/ids.js'
import { MoneySchema, StringEnum, Currency, Timestamp, NullableTimestamp, paginationQuery, NullableString } from '../../http/schemas.js'
import { CONTRACT_NUMBER_MAX_LENGTH, CONTRACT_NUMBER_PATTERN } from '../../lib/names.js'
import { PaymentStatusSchema } from '../payments/schemas.js'
import { RefundRequestSchema } from '../refunds/schemas.js'

const NullableText = NullableString

/** A payment as a partner sees it: its creditor's, the payer reduced to initials (no email, phone or IP). */
export const PartnerPaymentSchema = Type.Object({
  id: Type.String({ pattern: publicIdPattern('payment') }),
  status: PaymentStatusSchema,
  amount: Type.Integer({ description: 'Tiyn' }),
  currency: Currency,
  refundedAmount: Type.Integer({ description: 'Tiyn returned to the card so far' }),
  debtId: Type.String({ pattern: publicIdPattern('debt') }),
  contractNumber: Type.String(),
  creditor: Type.String(),
  payerName: Type.Union([Type.String(), Type.Null()], { description: 'The payer\'s initials only ("И. И."); null once erased' }),
  createdAt: Timestamp,
  paidAt: NullableTimestamp,
  cardMask: NullableText,
  bankPaymentId: NullableText,
  failureCode: NullableText,
  needsReview: Type.Boolean({ description: 'The agency is looking at it (a mismatch or an overpayment)' })
}, {
  $id: 'PartnerPayment',
  additionalProperties: false,
  examples: [{ id: 'pay_0193b3f2a4c07d1e8b5a2f6c9d0e1f23', status: 'succeeded', amount: 150000, currency: 'KZT', refundedAmount: 0, debtId: 'debt_0193b3f2a4c07d1e8b5a2f6c9d0e1f23', contractNumber: 'КД-2024/0015', creditor: 'АО «Банк ЦентрКредит»', payerName: 'И. И.', createdAt: '2026-11-25T10:00:00.000Z', paidAt: '2026-11-25T10:02:11.000Z', cardMask: '4111-11XX-XXXX-1111', bankPaymentId: '1000001', failureCode: null, needsReview: false }]
})
export type PartnerPayment = Static<typeof PartnerPaymentSchema>

/** A debt as a partner (and any event) sees it: amounts from the ledger, the debtor reduced to initials. */
export const PartnerDebtSchema = Type.Object({
  id: Type.String({ pattern: publicIdPattern('debt') }),
  contractNumber: Type.String(),
  creditor: Type.String(),
  debtorName: Type.String({ description: 'Initials only ("И. И.")' }),
  status: StringEnum(['active', 'closed', 'recalled']),
  claimAmount: Type.Ref(MoneySchema, { description: 'The claim: what the creditor assigned, with its adjustments (ledger)' }),
  collectedAmount: Type.Ref(MoneySchema, { description: 'Collected through this service, net of refunds and returns (ledger)' }),
  outstanding: Type.Ref(MoneySchema, { description: 'What is still owed: the receivable balance (ledger)' }),
  createdAt: Timestamp,
  updatedAt: Timestamp
}, {
  $id: 'PartnerDebt',
  additionalProperties: false,
  examples: [{ id: 'debt_0193b3f2a4c07d1e8b5a2f6c9d0e1f23', contractNumber: 'КД-2024/0015', creditor: 'АО «Банк ЦентрКредит»', debtorName: 'И. И.', status: 'active', claimAmount: { amount: 12500050, currency: 'KZT' }, collectedAmount: { amount: 150000, currency: 'KZT' }, outstanding: { amount: 12350050, currency: 'KZT' }, createdAt: '2026-11-20T08:00:00.000Z', updatedAt: '2026-11-25T10:02:11.000Z' }]
})
export type PartnerDebt = Static<typeof PartnerDebtSchema>

/** A refund or return as a partner sees it. */
export const PartnerRefundSchema = Type.Object({
  id: Type.String({ pattern: publicIdPattern('refund') }),
  kind: StringEnum(['refund', 'return', 'bank_reported']),
  status: StringEnum(['pending', 'succeeded', 'failed', 'needs_review']),
  amount: Type.Integer({ description: 'Tiyn' }),
  paymentId: Type.String({ pattern: publicIdPattern('payment') }),
  refundRequestId: Type.Union([Type.String({ pattern: publicIdPattern('refundRequest') }), Type.Null()]),
  createdAt: Timestamp,
  completedAt: NullableTimestamp
}, { $id: 'PartnerRefund', additionalProperties: false })

/**
 * A refund request as a partner sees it (in events and webhooks): the agency's answer to the payer is left out,
 * since it names people as often as not (privacy/repository.ts erases it with them).
 */
export const PartnerRefundRequestSchema = Type.Omit(RefundRequestSchema, ['responseText'], {
  $id: 'PartnerRefundRequest',
  additionalProperties: false,
  examples: (RefundRequestSchema.examples as Array<Record<string, unknown>>).map(({ responseText: _answer, ...shown }) => shown)
})
export type PartnerRefundRequest = Static<typeof PartnerRefundRequestSchema>

export const PartnerPaymentQuery = Type.Object({
  status: Type.Optional(PaymentStatusSchema),
  from: Type.Optional(Type.String({ format: 'date-time', description: 'Created at or after' })),
  to: Type.Optional(Type.String({ format: 'date-time', description: 'Created before' })),
  ...paginationQuery(publicIdPattern('payment'))
}, { additionalProperties: false })

export const PartnerDebtQuery = Type.Object({
  status: Type.Optional(StringEnum(['active', 'closed', 'recalled'])),
  contractNumber: Type.Optional(Type.String({ minLength: 1, maxLength: CONTRACT_NUMBER_MAX_LENGTH, pattern: CONTRACT_NUMBER_PATTERN })),
  ...paginationQuery(publicIdPattern('debt'))
}, { additionalProperties: false })

export const PaymentIdParams = Type.Object({ id: Type.String({ pattern: publicIdPattern('payment') }) }, { additionalProperties: false })
