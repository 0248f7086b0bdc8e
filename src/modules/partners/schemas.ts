// The partner API's own parameters. The objects it shows are their owners' (payments/schemas.ts PartnerPayment,
// debts/schemas.ts PartnerDebt, refunds/schemas.ts PartnerRefund and PartnerRefundRequest).
import { Type } from '@sinclair/typebox'
import { publicIdPattern } from '../../lib/ids.js'
import { StringEnum, paginationQuery } from '../../http/schemas.js'
import { CONTRACT_NUMBER_MAX_LENGTH, CONTRACT_NUMBER_PATTERN } from '../../lib/names.js'
import { PaymentStatusSchema } from '../payments/schemas.js'

export const PartnerPaymentQuery = Type.Object({
  status: Type.Optional(PaymentStatusSchema),
  from: Type.Optional(Type.String({ format: 'date-time', description: 'Created at or after' })),
  to: Type.Optional(Type.String({ format: 'date-time', description: 'Created before' })),
  ...paginationQuery(publicIdPattern('payment'))
}, { additionalProperties: false })

export const PartnerDebtQuery = Type.Object({
  status: Type.Optional(StringEnum(['active', 'closed', 'recalled'])),
  contractNumber: Type.Optional(Type.String({
    minLength: 1,
    maxLength: CONTRACT_NUMBER_MAX_LENGTH,
    pattern: CONTRACT_NUMBER_PATTERN
  })),
  ...paginationQuery(publicIdPattern('debt'))
}, { additionalProperties: false })

export const PaymentIdParams = Type.Object({ id: Type.String({ pattern: publicIdPattern('payment') }) }, { additionalProperties: false })
