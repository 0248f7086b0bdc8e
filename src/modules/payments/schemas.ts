import { Type, type Static } from '@sinclair/typebox'
import { publicIdPattern } from '../../lib/ids.js'
import { LANGUAGES } from '../../lib/languages.js'
import { AmountInput, MAX_AMOUNT, MoneySchema, StringEnum, Currency, Timestamp, NullableTimestamp, paginationQuery, NullableString } from '../../http/schemas.js'
import { FailureCodeSchema } from './failure-codes.js'
import { CONTRACT_NUMBER_MAX_LENGTH, CONTRACT_NUMBER_PATTERN } from '../../lib/names.js'
import { EmailSearch, IinSearch, PhoneSearch } from '../../http/search.js'
import { PaymentCode } from '../debts/schemas.js'

export const PAYMENT_STATUSES = ['pending', 'succeeded', 'failed', 'expired', 'returned'] as const
export const PAYMENT_CHANNELS = ['card', 'kaspi'] as const
export const PaymentChannelSchema = StringEnum(PAYMENT_CHANNELS, {
  description: 'How the money came: `card` (the bank\'s card page, after an acceptance of the offer) or `kaspi` ' +
    '(Kaspi\'s app paying the debt\'s payment code: no acceptance, no payer data)'
})
/** What a back-office or partner view adds to say how the payment came and whose debt it pays. */
const channelFields = {
  channel: PaymentChannelSchema,
  kaspiTxnId: Type.Union([Type.String(), Type.Null()], {
    description: 'Kaspi\'s transaction id (`txn_id` of its pay) for a Kaspi payment; null for a card payment'
  }),
  paymentCode: Type.String({
    pattern: '^[0-9]{11}$',
    description: 'The debt\'s payment code (10 digits and a Luhn check digit): its account in every channel'
  })
}
export const PaymentStatusSchema = StringEnum(PAYMENT_STATUSES, {
  description: 'pending -> succeeded | failed | expired; returned: a succeeded payment the agency refused as suspicious and refunded in full (offer cl. 8)'
})

const PaymentId = Type.String({ pattern: publicIdPattern('payment'), examples: ['pay_0193b3f2a4c07d1e8b5a2f6c9d0e1f23'] })

export const CreatePaymentBody = Type.Object({
  acceptanceId: Type.String({ pattern: publicIdPattern('acceptance') }),
  amount: AmountInput('Tiyn (minor units): 150000 = 1 500.00 KZT'),
  currency: Currency,
  returnUrl: Type.Optional(Type.String({ format: 'uri', maxLength: 2000, description: 'Where the bank sends the payer back; its host must be allowed (RETURN_URL_ALLOWED_HOSTS)' })),
  language: Type.Optional(StringEnum(LANGUAGES, {
    description: 'The language of the bank\'s card page (sent as the bank\'s `pg_language`: kk as `kz`) and of our ' +
      'result page (without `returnUrl`). Default: the acceptance\'s `offerLanguage`.'
  }))
}, {
  additionalProperties: false,
  examples: [{ acceptanceId: 'acc_0193b3f2a4c07d1e8b5a2f6c9d0e1f23', amount: 150000, currency: 'KZT', returnUrl: 'https://www.explus.kz/pay/done' }]
})
export type CreatePaymentInput = Static<typeof CreatePaymentBody>

export const CreatedPaymentSchema = Type.Object({
  id: PaymentId,
  status: Type.Literal('pending'),
  amount: Type.Integer(),
  currency: Currency,
  debtId: Type.String({ pattern: publicIdPattern('debt') }),
  redirectUrl: Type.String({ format: 'uri', description: 'Send the payer here: the bank\'s hosted card page' }),
  expiresAt: Timestamp,
  clientSecret: Type.String({
    pattern: '^pay_[0-9a-f]{32}_secret_[A-Za-z0-9_-]{32}$',
    description: 'The payer\'s key to this payment\'s receipt (which names the payer): send it as `X-Client-Secret` to GET /v1/payments/{id}/receipt. ' +
      'Returned only here (and in a replay of this same request with the same Idempotency-Key); only its hash is stored. ' +
      'Keep it in the payer\'s session, never in a URL or a log.'
  })
}, {
  $id: 'CreatedPayment',
  additionalProperties: false,
  examples: [{ id: 'pay_0193b3f2a4c07d1e8b5a2f6c9d0e1f23', status: 'pending', amount: 150000, currency: 'KZT', debtId: 'debt_0193b3f2a4c07d1e8b5a2f6c9d0e1f23', redirectUrl: 'https://api.freedompay.kz/pay.html?customer=8f2c1e0b9a7d', expiresAt: '2026-11-25T10:30:00.000Z', clientSecret: 'pay_0193b3f2a4c07d1e8b5a2f6c9d0e1f23_secret_Zk3t0Qd9mWc2Xy7LbN4pR8sVa1Eu6HjK' }]
})
export type CreatedPayment = Static<typeof CreatedPaymentSchema>

export const PaymentSchema = Type.Object({
  id: PaymentId,
  status: PaymentStatusSchema,
  amount: Type.Integer(),
  currency: Currency,
  refundedAmount: Type.Integer({ description: 'Tiyn returned to the card so far' }),
  overpaidAmount: Type.Integer({ description: 'Tiyn the debt could not absorb (already paid off); handled by an operator' }),
  debtId: Type.String({ pattern: publicIdPattern('debt') }),
  createdAt: Timestamp,
  expiresAt: Timestamp,
  paidAt: NullableTimestamp,
  cardMask: Type.Union([Type.String(), Type.Null()], { examples: ['4111-11XX-XXXX-1111'] }),
  failureCode: FailureCodeSchema,
  channel: PaymentChannelSchema
}, {
  $id: 'Payment',
  additionalProperties: false,
  examples: [{ id: 'pay_0193b3f2a4c07d1e8b5a2f6c9d0e1f23', status: 'succeeded', amount: 150000, currency: 'KZT', refundedAmount: 0, overpaidAmount: 0, debtId: 'debt_0193b3f2a4c07d1e8b5a2f6c9d0e1f23', createdAt: '2026-11-25T10:00:00.000Z', expiresAt: '2026-11-25T10:30:00.000Z', paidAt: '2026-11-25T10:02:11.000Z', cardMask: '4111-11XX-XXXX-1111', failureCode: null, channel: 'card' }]
})
export type Payment = Static<typeof PaymentSchema>

export const ReceiptSchema = Type.Object({
  paymentId: PaymentId,
  status: PaymentStatusSchema,
  agency: Type.Object({
    name: Type.String(),
    bin: Type.String(),
    iban: Type.String(),
    bank: Type.String(),
    bic: Type.String(),
    address: Type.String(),
    supportEmail: Type.String()
  }, { additionalProperties: false }),
  payerName: Type.String(),
  contractNumber: Type.String(),
  creditor: Type.String(),
  purpose: Type.String(),
  amount: Type.Ref(MoneySchema),
  refundedAmount: Type.Integer(),
  paidAt: Timestamp,
  bankPaymentId: NullableString,
  cardMask: NullableString,
  offerVersion: Type.Integer(),
  offerLanguage: StringEnum(LANGUAGES, { description: 'The language of the offer text the payer accepted' })
}, {
  $id: 'Receipt',
  additionalProperties: false,
  examples: [{
    paymentId: 'pay_0193b3f2a4c07d1e8b5a2f6c9d0e1f23',
    status: 'succeeded',
    agency: { name: 'ТОО «Коллекторское агентство «Эксперт Плюс»', bin: '151040003422', iban: 'KZ58551A127100213KZT', bank: 'АО "Банк Фридом Финанс Казахстан"', bic: 'KSNVKZK', address: 'РК, г. Алматы, Ауэзовский район, ул. Толе би 298/2', supportEmail: 'OpenOffice@explus.kz' },
    payerName: 'Иванов Иван Иванович',
    contractNumber: 'КД-2024/0015',
    creditor: 'АО «Банк»',
    purpose: 'Погашение задолженности по договору КД-2024/0015',
    amount: { amount: 150000, currency: 'KZT' },
    refundedAmount: 0,
    paidAt: '2026-11-25T10:02:11.000Z',
    bankPaymentId: '1000001',
    cardMask: '4111-11XX-XXXX-1111',
    offerVersion: 1,
    offerLanguage: 'ru'
  }]
})
export type Receipt = Static<typeof ReceiptSchema>

export const PaymentParams = Type.Object({ id: Type.String({ pattern: publicIdPattern('payment') }) }, { additionalProperties: false })

export const ReceiptHeaders = Type.Object({
  'x-client-secret': Type.String({
    maxLength: 256,
    description: 'The payment\'s `clientSecret` from POST /v1/payments. Missing: 400 `validation_failed` (for any ' +
      'payment, known or not); wrong: the same 404 `payment_not_found` as an unknown payment.',
    examples: ['pay_0193b3f2a4c07d1e8b5a2f6c9d0e1f23_secret_Zk3t0Qd9mWc2Xy7LbN4pR8sVa1Eu6HjK']
  })
}, { additionalProperties: true })

/** What the bank appends to the return URL; the page trusts none of it and shows our own record. */
export const ResultPageQuery = Type.Object({
  paymentId: Type.Optional(Type.String({ maxLength: 100, description: 'Set by us in the URL given to the bank; ignored' })),
  result: Type.Optional(StringEnum(['success', 'failure'], { description: 'Which of our URLs the bank used; ignored: the page shows the payment\'s recorded status' })),
  lang: Type.Optional(StringEnum(LANGUAGES, {
    description: 'The page\'s language, before Accept-Language (without it: the header, then ru). Set by us from the ' +
      'payment start\'s `language`; another value is 400 `validation_failed`.',
    examples: ['kk']
  }))
}, { additionalProperties: true, description: 'The bank may add its own parameters; they are ignored' })

/** The details of payment events that are amounts (tiyn): `claimDifference` may be negative. */
export const TIMELINE_AMOUNT_FIELDS = ['amount', 'applied', 'overpaid', 'bankAmount', 'debtRaisedBy', 'bankRefundedAmount', 'claimDifference', 'registrySum'] as const

const TimelineAmount = Type.Optional(Type.Integer({ minimum: -MAX_AMOUNT, maximum: MAX_AMOUNT, description: 'Integer tiyn' }))

export const TimelineEntrySchema = Type.Object({
  at: Timestamp,
  kind: StringEnum(['event', 'callback']),
  type: Type.String({ description: 'Event type, or the callback kind (check, result)' }),
  signatureValid: Type.Optional(Type.Boolean({
    description: 'Callbacks only: whether the callback is the bank\'s, its `pg_sig` verifying over parameters ' +
      'whose names its script takes (the bank signs the values, not the names)'
  })),
  reply: Type.Optional(Type.String({ description: 'Our answer to the bank: ok, rejected, error' })),
  details: Type.Object({
    amount: TimelineAmount,
    applied: TimelineAmount,
    overpaid: TimelineAmount,
    bankAmount: TimelineAmount,
    debtRaisedBy: TimelineAmount,
    bankRefundedAmount: TimelineAmount,
    claimDifference: TimelineAmount,
    registrySum: TimelineAmount
  } satisfies Record<typeof TIMELINE_AMOUNT_FIELDS[number], unknown>, {
    additionalProperties: true,
    description: 'An event\'s facts, its amounts (`amount`, `applied`, `overpaid`, …) in integer tiyn; ' +
      'a callback\'s `params` as the bank sent them (text, `pg_amount` in tenge) but `pg_sig` and `pg_salt`, ' +
      'shown as `[withheld]`, and our `replyDescription` (for one refused: `invalid signature` or ' +
      '`unknown parameter`, with a `digest`)'
  })
}, {
  $id: 'TimelineEntry',
  additionalProperties: false,
  examples: [{ at: '2026-11-25T10:02:11.000Z', kind: 'event', type: 'succeeded', details: { source: 'callback', applied: 150000, overpaid: 0 } }]
})

/** A stored event's details as the API shows them: its amounts as integers (they are stored as text, being bigint). */
export function timelineDetails (details: Record<string, unknown>): Record<string, unknown> {
  const out = { ...details }
  for (const field of TIMELINE_AMOUNT_FIELDS) {
    const value = out[field]
    if (typeof value === 'string' && /^-?\d+$/.test(value)) out[field] = Number(value)
  }
  return out
}

export const AdminPaymentSchema = Type.Object({
  ...PaymentSchema.properties,
  ...channelFields,
  contractNumber: Type.String(),
  creditor: Type.String({ description: 'The creditor as the debt\'s portfolio row names it' }),
  creditorId: Type.String({ pattern: publicIdPattern('creditor'), description: 'The creditor\'s record (`/v1/admin/creditors`)' }),
  bankPaymentId: NullableString,
  needsReview: Type.Boolean(),
  reviewReason: NullableString
}, { $id: 'AdminPayment', additionalProperties: false })

export const AdminPaymentDetailSchema = Type.Object({
  ...AdminPaymentSchema.properties,
  timeline: Type.Array(Type.Ref(TimelineEntrySchema))
}, { $id: 'AdminPaymentDetail', additionalProperties: false })

export const AdminPaymentQuery = Type.Object({
  status: Type.Optional(PaymentStatusSchema),
  from: Type.Optional(Type.String({ format: 'date-time', description: 'Created at or after' })),
  to: Type.Optional(Type.String({ format: 'date-time', description: 'Created before' })),
  contractNumber: Type.Optional(Type.String({
    minLength: 1,
    maxLength: CONTRACT_NUMBER_MAX_LENGTH,
    pattern: CONTRACT_NUMBER_PATTERN
  })),
  needsReview: Type.Optional(Type.Boolean()),
  channel: Type.Optional(PaymentChannelSchema),
  iin: Type.Optional(IinSearch),
  email: Type.Optional(EmailSearch),
  phone: Type.Optional(PhoneSearch),
  paymentCode: Type.Optional(PaymentCode),
  creditorId: Type.Optional(Type.String({
    pattern: publicIdPattern('creditor'),
    description: 'The creditor of the payment\'s debt (`/v1/admin/creditors`)',
    examples: ['cred_0193b3f2a4c07d1e8b5a2f6c9d0e1f23']
  })),
  ...paginationQuery(publicIdPattern('payment'))
}, { additionalProperties: false })

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
  creditorId: Type.String({ pattern: publicIdPattern('creditor'), description: 'The creditor\'s record (`/v1/admin/creditors`)' }),
  payerName: Type.Union([Type.String(), Type.Null()], { description: 'The payer\'s initials only ("И. И."); null once erased, and for a Kaspi payment (Kaspi does not tell us who paid)' }),
  createdAt: Timestamp,
  paidAt: NullableTimestamp,
  cardMask: NullableString,
  bankPaymentId: NullableString,
  failureCode: FailureCodeSchema,
  needsReview: Type.Boolean({ description: 'The agency is looking at it (a mismatch or an overpayment)' }),
  ...channelFields
}, {
  $id: 'PartnerPayment',
  additionalProperties: false,
  examples: [{ id: 'pay_0193b3f2a4c07d1e8b5a2f6c9d0e1f23', status: 'succeeded', amount: 150000, currency: 'KZT', refundedAmount: 0, debtId: 'debt_0193b3f2a4c07d1e8b5a2f6c9d0e1f23', contractNumber: 'КД-2024/0015', creditor: 'АО «Банк ЦентрКредит»', creditorId: 'cred_0193b3f2a4c07d1e8b5a2f6c9d0e1f24', payerName: 'И. И.', createdAt: '2026-11-25T10:00:00.000Z', paidAt: '2026-11-25T10:02:11.000Z', cardMask: '4111-11XX-XXXX-1111', bankPaymentId: '1000001', failureCode: null, needsReview: false, channel: 'card', kaspiTxnId: null, paymentCode: '12345678903' }]
})
export type PartnerPayment = Static<typeof PartnerPaymentSchema>
