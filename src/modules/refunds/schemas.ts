import { Type, type Static } from '@sinclair/typebox'
import { publicIdPattern } from '../../lib/ids.js'
import { AmountInput, StringEnum, Timestamp, paginationQuery, NullableTimestamp, NullableString } from '../../http/schemas.js'

export const REFUND_STATUSES = ['pending', 'succeeded', 'failed', 'needs_review'] as const
export const REFUND_REQUEST_STATUSES = ['submitted', 'approved', 'rejected', 'completed'] as const
export const REFUND_KINDS = ['refund', 'return', 'bank_reported', 'external'] as const
const KIND_DESCRIPTION = '`refund`: on a client\'s request; `return`: the agency refused the payment; ' +
  '`bank_reported`: made at the bank, found by reconciliation; `external`: made in the channel\'s own cabinet ' +
  '(a Kaspi cancellation) and recorded by an operator, never sent by us'

const RequestId = Type.String({ pattern: publicIdPattern('refundRequest'), examples: ['rfr_0193b3f2a4c07d1e8b5a2f6c9d0e1f23'] })
const PaymentId = Type.String({ pattern: publicIdPattern('payment') })

export const CreateRefundRequestBody = Type.Object({
  paymentId: PaymentId,
  email: Type.String({ minLength: 3, maxLength: 254, description: 'The payer\'s email given on acceptance (compared case-insensitively)' }),
  amount: Type.Optional(AmountInput('Tiyn; defaults to everything still refundable')),
  reason: Type.String({ minLength: 1, maxLength: 2000, description: 'The written request (offer cl. 5)' })
}, {
  additionalProperties: false,
  examples: [{ paymentId: 'pay_0193b3f2a4c07d1e8b5a2f6c9d0e1f23', email: 'ivanov@example.kz', amount: 50000, reason: 'Оплатил дважды по ошибке' }]
})
export type CreateRefundRequestInput = Static<typeof CreateRefundRequestBody>

export const RefundSchema = Type.Object({
  id: Type.String({ pattern: publicIdPattern('refund') }),
  kind: StringEnum(REFUND_KINDS, { description: KIND_DESCRIPTION }),
  status: StringEnum(REFUND_STATUSES, {
    description: '`pending` while the worker settles it with the bank; `failed` only when the bank refused with a signed answer (nothing moved); ' +
      '`needs_review` when the outcome is unknown after the last attempt or the bank\'s refunded total does not fit ours (an operator retries it; its amount stays reserved)'
  }),
  amount: Type.Integer(),
  attempts: Type.Integer(),
  completedAt: NullableTimestamp
}, {
  $id: 'Refund',
  additionalProperties: false,
  examples: [{ id: 'ref_0193b3f2a4c07d1e8b5a2f6c9d0e1f24', kind: 'return', status: 'pending', amount: 150000, attempts: 0, completedAt: null }]
})

export const RefundRequestSchema = Type.Object({
  id: RequestId,
  status: StringEnum(REFUND_REQUEST_STATUSES, { description: '`submitted` -> `approved` | `rejected`; `completed` once its refund succeeded' }),
  paymentId: PaymentId,
  amount: Type.Integer({ description: 'Tiyn' }),
  responseText: Type.Union([Type.String(), Type.Null()], { description: 'The agency\'s official answer' }),
  decidedAt: NullableTimestamp,
  dueAt: Type.Union([Type.String({ format: 'date' }), Type.Null()], { description: 'The refund is due by this date: 5 Kazakhstan business days after the decision (offer cl. 5)' }),
  overdue: Type.Boolean(),
  refund: Type.Union([Type.Ref(RefundSchema), Type.Null()]),
  createdAt: Timestamp
}, {
  $id: 'RefundRequest',
  additionalProperties: false,
  examples: [{ id: 'rfr_0193b3f2a4c07d1e8b5a2f6c9d0e1f23', status: 'approved', paymentId: 'pay_0193b3f2a4c07d1e8b5a2f6c9d0e1f23', amount: 50000, responseText: 'Возврат одобрен', decidedAt: '2026-03-19T10:00:00.000Z', dueAt: '2026-03-31', overdue: false, refund: { id: 'ref_0193b3f2a4c07d1e8b5a2f6c9d0e1f24', kind: 'refund', status: 'succeeded', amount: 50000, attempts: 1, completedAt: '2026-03-19T10:00:05.000Z' }, createdAt: '2026-03-18T09:00:00.000Z' }]
})
export type RefundRequest = Static<typeof RefundRequestSchema>

/** The payer as the acceptance of the offer recorded them (decrypted); Kaspi payments have none. */
const RefundRequestPayer = Type.Object({
  fullName: Type.Union([Type.String(), Type.Null()], { description: 'As typed on acceptance; null when the payment had no acceptance (Kaspi)' }),
  email: Type.Union([Type.String(), Type.Null()], { description: 'Normalised (lowercase); null when not given' }),
  phone: Type.Union([Type.String(), Type.Null()], { description: 'E.164 (`+77012345678`); null when not given' })
}, {
  additionalProperties: false,
  description: 'Who paid, decrypted for the operator deciding the request; after an erasure each member reads ' +
    '`[erased]`; a member that cannot be decrypted (a key no longer configured: logged) is null'
})

/** The back office's view of a request: the public one plus the payer's written reason and who the payer is. */
export const AdminRefundRequestSchema = Type.Object({
  ...RefundRequestSchema.properties,
  reason: Type.Union([Type.String(), Type.Null()], {
    description: 'The payer\'s written request (offer cl. 5), decrypted; `[erased]` after an erasure; null when ' +
      'it cannot be decrypted (a key no longer configured: logged)'
  }),
  payer: RefundRequestPayer
}, {
  $id: 'AdminRefundRequest',
  additionalProperties: false,
  description: 'A refund request as an operator decides it. Every response that shows one is audit-logged as ' +
    '`refund_request.payer_read` (one audit row per request shown)',
  examples: [{
    ...RefundRequestSchema.examples[0],
    reason: 'Оплатил дважды по ошибке',
    payer: { fullName: 'Иванов Иван Иванович', email: 'ivanov@example.kz', phone: '+77012345678' }
  }]
})
export type AdminRefundRequest = Static<typeof AdminRefundRequestSchema>

export const RefundRequestParams = Type.Object({ id: RequestId }, { additionalProperties: false })

export const DecisionBody = Type.Object({
  decision: StringEnum(['approve', 'reject']),
  responseText: Type.String({ minLength: 1, maxLength: 5000, description: 'The agency\'s official answer, shown to the client' }),
  amount: Type.Optional(AmountInput('Approve a different amount than requested (tiyn)'))
}, { additionalProperties: false, examples: [{ decision: 'approve', responseText: 'Возврат одобрен. Деньги вернутся на карту, с которой была оплата.' }] })
export type DecisionInput = Static<typeof DecisionBody>

export const RefundRequestQuery = Type.Object({
  status: Type.Optional(StringEnum(REFUND_REQUEST_STATUSES)),
  overdue: Type.Optional(Type.Boolean()),
  ...paginationQuery(publicIdPattern('refundRequest'))
}, { additionalProperties: false })

export const ReturnBody = Type.Object({
  reason: Type.String({ minLength: 1, maxLength: 2000 })
}, { additionalProperties: false, examples: [{ reason: 'Платёж признан подозрительным (п. 8 оферты)' }] })

export const AdminRefundSchema = Type.Object({
  id: Type.String({ pattern: publicIdPattern('refund') }),
  kind: StringEnum(REFUND_KINDS, { description: KIND_DESCRIPTION }),
  status: StringEnum(REFUND_STATUSES),
  amount: Type.Integer({ description: 'Tiyn' }),
  attempts: Type.Integer(),
  completedAt: NullableTimestamp,
  paymentId: PaymentId,
  refundRequestId: Type.Union([RequestId, Type.Null()]),
  reviewReason: Type.Union([Type.String(), Type.Null()], { description: 'Why it is needs_review' }),
  lastError: NullableString,
  sentAt: Type.Union([Timestamp, Type.Null()], { description: 'When revoke.php was last sent without a recorded answer (null once the bank refused)' }),
  bankRefundId: NullableString,
  reference: Type.Union([Type.String(), Type.Null()], {
    description: 'An `external` refund\'s reference in the channel (the Kaspi cabinet\'s cancellation); null for the others'
  }),
  createdAt: Timestamp
}, {
  $id: 'AdminRefund',
  additionalProperties: false,
  examples: [{
    id: 'ref_0193b3f2a4c07d1e8b5a2f6c9d0e1f24', kind: 'refund', status: 'needs_review', amount: 50000, attempts: 5, completedAt: null,
    paymentId: 'pay_0193b3f2a4c07d1e8b5a2f6c9d0e1f23', refundRequestId: 'rfr_0193b3f2a4c07d1e8b5a2f6c9d0e1f23',
    reviewReason: 'outcome unknown after the last attempt: revoke.php: no answer in time', lastError: 'outcome unknown after the last attempt: revoke.php: no answer in time',
    sentAt: '2026-03-19T10:00:05.000Z', bankRefundId: null, reference: null, createdAt: '2026-03-19T10:00:00.000Z'
  }]
})

export const AdminRefundQuery = Type.Object({
  status: Type.Optional(StringEnum(REFUND_STATUSES)),
  paymentId: Type.Optional(PaymentId),
  ...paginationQuery(publicIdPattern('refund'))
}, { additionalProperties: false })

/** An operator records a cancellation made in the channel's own cabinet (DESIGN 17). */
export const ExternalRefundBody = Type.Object({
  amount: AmountInput('Tiyn cancelled in the channel\'s cabinet; at most what is still refundable'),
  reference: Type.String({
    minLength: 1,
    maxLength: 200,
    pattern: '\\S',
    description: 'The cancellation\'s reference in Kaspi\'s partner cabinet; recorded once per payment'
  })
}, { additionalProperties: false, examples: [{ amount: 50000, reference: 'KASPI-RET-20261125-000183' }] })
export type ExternalRefundInput = Static<typeof ExternalRefundBody>

export const RefundParams = Type.Object({ id: Type.String({ pattern: publicIdPattern('refund') }) }, { additionalProperties: false })

/** A refund or return as a partner sees it. */
export const PartnerRefundSchema = Type.Object({
  id: Type.String({ pattern: publicIdPattern('refund') }),
  kind: StringEnum(REFUND_KINDS, { description: KIND_DESCRIPTION }),
  status: StringEnum(['pending', 'succeeded', 'failed', 'needs_review']),
  amount: Type.Integer({ description: 'Tiyn' }),
  paymentId: Type.String({ pattern: publicIdPattern('payment') }),
  refundRequestId: Type.Union([Type.String({ pattern: publicIdPattern('refundRequest') }), Type.Null()]),
  createdAt: Timestamp,
  completedAt: NullableTimestamp
}, { $id: 'PartnerRefund', additionalProperties: false })

/**
 * A refund request as a partner sees it (in events and webhooks): the agency's answer to the payer is left out,
 * since it names people as often as not (refunds/repository.ts erases it with them, for privacy's erasure).
 */
export const PartnerRefundRequestSchema = Type.Omit(RefundRequestSchema, ['responseText'], {
  $id: 'PartnerRefundRequest',
  additionalProperties: false,
  examples: (RefundRequestSchema.examples as Array<Record<string, unknown>>)
    .map(({ responseText: _answer, ...shown }) => shown)
})
export type PartnerRefundRequest = Static<typeof PartnerRefundRequestSchema>
