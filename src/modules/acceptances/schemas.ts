import { Type, type Static } from '@sinclair/typebox'
import { publicIdPattern } from '../../lib/ids.js'
import { StringEnum, Timestamp } from '../../http/schemas.js'
import { LANGUAGES } from '../../lib/languages.js'

const OfferLanguage = StringEnum(LANGUAGES, {
  description: 'The language of the offer text read: kk, ru or en'
})

export const AcceptanceBody = Type.Object({
  offerVersion: Type.Integer({ minimum: 1, description: 'The `version` of the offer the client read' }),
  offerSha256: Type.String({
    pattern: '^[0-9a-f]{64}$', description: 'The `sha256` of the offer text the client read (of its `offerLanguage`)'
  }),
  offerLanguage: Type.Optional(StringEnum(LANGUAGES, {
    default: 'ru',
    description: 'The `language` of the offer text the client read (ru by default); the payer\'s emails are in it'
  })),
  debtId: Type.Optional(Type.String({
    pattern: publicIdPattern('debt'),
    description: 'The `debtId` of the lookup; or give `paymentLinkToken` instead (exactly one of the two)'
  })),
  paymentLinkToken: Type.Optional(Type.String({
    minLength: 1,
    maxLength: 200,
    description: 'The token of a payment link (`plt_…`, from a letter) instead of `debtId`: the link names the debt, ' +
      'and a link that fixes the amount holds the payment to it'
  })),
  payer: Type.Object({
    fullName: Type.String({ minLength: 1, maxLength: 300 }),
    email: Type.String({ minLength: 3, maxLength: 254 }),
    phone: Type.String({ minLength: 5, maxLength: 30, description: 'Kazakhstan number: +7 7xx…, 8 7xx… accepted and normalised to E.164' })
  }, { additionalProperties: false }),
  personalDataConsent: Type.Literal(true, {
    description: 'Consent to processing of personal data for 10 years (offer cl. 14, 15): only `true` is accepted; ' +
      '`false` is 422 `consent_required`'
  })
}, {
  additionalProperties: false,
  examples: [{
    offerVersion: 1,
    offerSha256: 'b51c2b44993bc26d673ac4ed558341a351154dc9f650a2eaa172c700469907d1',
    debtId: 'debt_0193b3f2a4c07d1e8b5a2f6c9d0e1f23',
    payer: { fullName: 'Иванов Иван Иванович', email: 'ivanov@example.kz', phone: '+7 701 234 56 78' },
    personalDataConsent: true
  }, {
    offerVersion: 1,
    offerSha256: 'b51c2b44993bc26d673ac4ed558341a351154dc9f650a2eaa172c700469907d1',
    paymentLinkToken: 'plt_q3Xk9ZpL0c2Vb7NwR4tYh8Ua1Ds6Fg5J',
    payer: { fullName: 'Иванов Иван Иванович', email: 'ivanov@example.kz', phone: '+7 701 234 56 78' },
    personalDataConsent: true
  }]
})
export type AcceptanceInput = Static<typeof AcceptanceBody>

export const AcceptanceSchema = Type.Object({
  id: Type.String({ pattern: publicIdPattern('acceptance') }),
  offerVersion: Type.Integer(),
  offerLanguage: OfferLanguage,
  debtId: Type.String({ pattern: publicIdPattern('debt') }),
  acceptedAt: Timestamp,
  consentExpiresAt: Type.String({ format: 'date-time', description: 'Ten years after acceptance (offer cl. 15)' }),
  payableUntil: Type.String({ format: 'date-time', description: 'Payments may start from this acceptance until then (24 hours)' })
}, {
  $id: 'Acceptance',
  additionalProperties: false,
  examples: [{ id: 'acc_0193b3f2a4c07d1e8b5a2f6c9d0e1f23', offerVersion: 1, offerLanguage: 'ru', debtId: 'debt_0193b3f2a4c07d1e8b5a2f6c9d0e1f23', acceptedAt: '2026-11-25T10:00:00.000Z', consentExpiresAt: '2036-11-25T10:00:00.000Z', payableUntil: '2026-11-26T10:00:00.000Z' }]
})
export type Acceptance = Static<typeof AcceptanceSchema>
