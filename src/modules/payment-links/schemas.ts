import { Type, type Static } from '@sinclair/typebox'
import { publicIdPattern } from '../../lib/ids.js'
import { AmountInput, NullableTimestamp, StringEnum, Timestamp, paginationQuery } from '../../http/schemas.js'
import { DebtLookupSchema } from '../debts/schemas.js'

export const PAYMENT_LINK_STATUSES = ['active', 'revoked', 'expired'] as const
export type PaymentLinkStatus = (typeof PAYMENT_LINK_STATUSES)[number]

/** At most this many debts in one batch of links (DESIGN 17). */
export const MAX_BATCH_LINKS = 1000

const LinkId = Type.String({ pattern: publicIdPattern('paymentLink'), examples: ['plk_0193b3f2a4c07d1e8b5a2f6c9d0e1f23'] })
const DebtId = Type.String({ pattern: publicIdPattern('debt'), examples: ['debt_0193b3f2a4c07d1e8b5a2f6c9d0e1f23'] })
const ExpiresAtInput = Type.String({
  format: 'date-time',
  description: 'When the link stops working: in the future, at most 365 days ahead; default 30 days from now'
})
const LinkAmount = Type.Union([
  Type.Integer({ minimum: 1, description: 'The amount the link fixes, in tiyn (KZT)' }),
  Type.Null()
], { description: 'The amount the link fixes, in tiyn (KZT): a payment of any other amount is refused. Null: the ' +
  'payer chooses, up to what is outstanding' })

export const CreatePaymentLinkBody = Type.Object({
  debtId: DebtId,
  amount: Type.Optional(AmountInput('Fix the amount (tiyn): at least the minimum payment, at most what is outstanding now')),
  expiresAt: Type.Optional(ExpiresAtInput)
}, {
  additionalProperties: false,
  examples: [{ debtId: 'debt_0193b3f2a4c07d1e8b5a2f6c9d0e1f23', amount: 5000000, expiresAt: '2026-12-31T18:59:59.000Z' }]
})
export type CreatePaymentLinkInput = Static<typeof CreatePaymentLinkBody>

export const CreatePaymentLinksBody = Type.Object({
  debtIds: Type.Array(DebtId, { minItems: 1, maxItems: MAX_BATCH_LINKS, uniqueItems: true }),
  expiresAt: Type.Optional(ExpiresAtInput)
}, {
  additionalProperties: false,
  examples: [{ debtIds: ['debt_0193b3f2a4c07d1e8b5a2f6c9d0e1f23', 'debt_0193b3f2a4c07d1e8b5a2f6c9d0e1f24'] }]
})
export type CreatePaymentLinksInput = Static<typeof CreatePaymentLinksBody>

export const PaymentLinkListQuery = Type.Object({
  debtId: DebtId,
  ...paginationQuery(publicIdPattern('paymentLink'))
}, { additionalProperties: false })

export const PaymentLinkParams = Type.Object({ id: LinkId }, { additionalProperties: false })

export const PaymentLinkTokenParams = Type.Object({
  token: Type.String({
    minLength: 1,
    maxLength: 200,
    description: 'The token of the link (`plt_…`), the last segment of its URL',
    examples: ['plt_q3Xk9ZpL0c2Vb7NwR4tYh8Ua1Ds6Fg5J']
  })
}, { additionalProperties: false })

const linkProperties = {
  id: LinkId,
  debtId: DebtId,
  amount: LinkAmount,
  expiresAt: Timestamp,
  createdAt: Timestamp
}

/** A link as listed: never its token or URL, which are shown once. */
export const PaymentLinkSchema = Type.Object({
  ...linkProperties,
  status: StringEnum(PAYMENT_LINK_STATUSES, { description: 'active: payable through it; revoked; expired' }),
  revokedAt: NullableTimestamp
}, {
  $id: 'PaymentLink',
  additionalProperties: false,
  examples: [{ id: 'plk_0193b3f2a4c07d1e8b5a2f6c9d0e1f23', debtId: 'debt_0193b3f2a4c07d1e8b5a2f6c9d0e1f23', amount: 5000000, expiresAt: '2026-12-25T10:00:00.000Z', createdAt: '2026-11-25T10:00:00.000Z', status: 'revoked', revokedAt: '2026-11-26T09:00:00.000Z' }]
})
export type PaymentLink = Static<typeof PaymentLinkSchema>

/** A link as made: with its token and URL, in this answer only. */
export const CreatedPaymentLinkSchema = Type.Object({
  ...linkProperties,
  url: Type.String({ description: 'AGENCY_WEBSITE + `/pay/` + token: what the letter prints' }),
  token: Type.String({ description: 'Shown only here: the service keeps its SHA-256 alone' }),
  status: Type.Literal('active')
}, {
  $id: 'CreatedPaymentLink',
  additionalProperties: false,
  examples: [{ id: 'plk_0193b3f2a4c07d1e8b5a2f6c9d0e1f23', debtId: 'debt_0193b3f2a4c07d1e8b5a2f6c9d0e1f23', amount: null, expiresAt: '2026-12-25T10:00:00.000Z', createdAt: '2026-11-25T10:00:00.000Z', url: 'https://www.explus.kz/pay/plt_q3Xk9ZpL0c2Vb7NwR4tYh8Ua1Ds6Fg5J', token: 'plt_q3Xk9ZpL0c2Vb7NwR4tYh8Ua1Ds6Fg5J', status: 'active' }]
})
export type CreatedPaymentLink = Static<typeof CreatedPaymentLinkSchema>

export const CreatedPaymentLinksSchema = Type.Object({
  data: Type.Array(Type.Ref(CreatedPaymentLinkSchema), { description: 'One link per debt, in the order asked' })
}, { additionalProperties: false, description: 'The links made, each with its token (shown only here)' })

/** The public answer: the lookup's, and the amount the link fixes. */
export const PaymentLinkLookupSchema = Type.Object({
  ...DebtLookupSchema.properties,
  amount: LinkAmount
}, {
  $id: 'PaymentLinkLookup',
  additionalProperties: false,
  examples: [{ debtId: 'debt_0193b3f2a4c07d1e8b5a2f6c9d0e1f23', paymentCode: '79927398713', contractNumber: 'КД-2024/0015', creditor: 'АО «Банк»', debtorName: 'И*** И*** И***', outstanding: { amount: 12500050, currency: 'KZT' }, status: 'active', amount: 5000000 }]
})
export type PaymentLinkLookup = Static<typeof PaymentLinkLookupSchema>
