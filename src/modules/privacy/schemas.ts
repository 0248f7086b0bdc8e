import { Type, type Static } from '@sinclair/typebox'
import { publicIdPattern } from '../../lib/ids.js'
import { StringEnum, Timestamp, paginationQuery, NullableTimestamp, NullableString } from '../../http/schemas.js'
import { LANGUAGES } from '../../lib/languages.js'

export const PRIVACY_STATUSES = ['pending_verification', 'expired', 'received', 'on_legal_hold', 'completed'] as const
export type PrivacyStatus = typeof PRIVACY_STATUSES[number]
/** Verified: consent is withdrawn and the erasure is under way or done. */
export const VERIFIED_STATUSES: readonly PrivacyStatus[] = ['received', 'on_legal_hold', 'completed']

const RequestId = Type.String({ pattern: publicIdPattern('privacyRequest'), examples: ['prv_0193b3f2a4c07d1e8b5a2f6c9d0e1f23'] })
const Status = StringEnum(PRIVACY_STATUSES, {
  description: '`pending_verification` until the emailed code comes back; `expired` after 5 wrong codes or 30 minutes (nothing changed; make a new request); ' +
    '`received` once verified (consent withdrawn), then `completed` once the data is destroyed; `on_legal_hold` while a refund or payment in progress needs it (then erased)'
})
const DueAt = Type.String({ format: 'date', description: 'Destroyed by this date: 30 Kazakhstan business days after verification (offer cl. 16)' })
const MaybeDueAt = Type.Union([DueAt, Type.Null()], { description: 'Destroyed by this date: 30 Kazakhstan business days after verification (offer cl. 16); null until verified' })
const VerificationCode = Type.String({ minLength: 1, maxLength: 20, description: 'The 6-digit code emailed to the address the request names' })

export const CreatePrivacyRequestBody = Type.Object({
  email: Type.String({ minLength: 3, maxLength: 254, description: 'The email given when accepting the offer (compared case-insensitively)' }),
  fullName: Type.String({ minLength: 1, maxLength: 300 }),
  iin: Type.Optional(Type.String({ minLength: 1, maxLength: 20, description: 'The client\'s IIN, when known: 12 digits with a correct check digit' })),
  language: Type.Optional(StringEnum(LANGUAGES, {
    default: 'ru', description: 'The language of the emails the request sends (the code, the destruction confirmation)'
  }))
}, {
  additionalProperties: false,
  examples: [{ email: 'ivanov@example.kz', fullName: 'Иванов Иван Иванович' }]
})
export type CreatePrivacyRequestInput = Static<typeof CreatePrivacyRequestBody>

export const CreatedPrivacyRequestSchema = Type.Object({
  id: RequestId,
  status: Type.Literal('pending_verification'),
  verificationExpiresAt: Type.String({ format: 'date-time', description: 'The emailed code works until then (30 minutes)' })
}, {
  $id: 'CreatedPrivacyRequest',
  additionalProperties: false,
  examples: [{ id: 'prv_0193b3f2a4c07d1e8b5a2f6c9d0e1f23', status: 'pending_verification', verificationExpiresAt: '2026-11-25T10:30:00.000Z' }]
})
export type CreatedPrivacyRequest = Static<typeof CreatedPrivacyRequestSchema>

export const VerifyPrivacyRequestBody = Type.Object({ code: VerificationCode }, { additionalProperties: false, examples: [{ code: '042913' }] })
export type VerifyPrivacyRequestInput = Static<typeof VerifyPrivacyRequestBody>

export const VerifiedPrivacyRequestSchema = Type.Object({
  id: RequestId,
  status: StringEnum(['received', 'on_legal_hold', 'completed'], { description: '`received` at verification' }),
  dueAt: DueAt
}, {
  $id: 'VerifiedPrivacyRequest',
  additionalProperties: false,
  examples: [{ id: 'prv_0193b3f2a4c07d1e8b5a2f6c9d0e1f23', status: 'received', dueAt: '2027-01-13' }]
})
export type VerifiedPrivacyRequest = Static<typeof VerifiedPrivacyRequestSchema>

const progress = {
  id: RequestId,
  status: Status,
  dueAt: MaybeDueAt,
  receivedAt: Timestamp,
  verificationExpiresAt: Type.Union([Timestamp, Type.Null()], { description: 'Until then the emailed code works (pending requests only)' }),
  verifiedAt: Type.Union([Timestamp, Type.Null()], { description: 'When the code came back: consent was withdrawn at that moment' }),
  holdReason: Type.Union([Type.String(), Type.Null()], { description: 'Why the data is held for now' }),
  completedAt: NullableTimestamp
}
const progressExample = {
  id: 'prv_0193b3f2a4c07d1e8b5a2f6c9d0e1f23',
  status: 'completed',
  dueAt: '2027-01-13',
  receivedAt: '2026-11-25T10:00:00.000Z',
  verificationExpiresAt: null,
  verifiedAt: '2026-11-25T10:03:00.000Z',
  holdReason: null,
  completedAt: '2026-11-25T10:03:02.000Z'
}

export const PrivacyRequestSchema = Type.Object(progress, {
  $id: 'PrivacyRequest',
  additionalProperties: false,
  examples: [progressExample]
})
export type PrivacyRequest = Static<typeof PrivacyRequestSchema>

const ErasedCounts = Type.Object({
  acceptances: Type.Integer({ minimum: 0, description: 'Offer acceptances whose name, email, phone, IP and user agent were destroyed' }),
  callbacks: Type.Integer({ minimum: 0, description: 'Bank callbacks whose raw contents were destroyed' }),
  refundRequests: Type.Integer({ minimum: 0, description: 'Refund requests whose written reason and the agency\'s answer were destroyed' }),
  payments: Type.Integer({ minimum: 0, description: 'Payments whose return URL, email and IP indexes were destroyed (amounts, dates and statuses kept)' }),
  refunds: Type.Integer({ minimum: 0, description: 'Returns whose written reason was destroyed' }),
  emails: Type.Integer({ minimum: 0, description: 'Emails whose recipient and contents were destroyed' }),
  bankRecords: Type.Integer({ minimum: 0, description: 'Records of the sandbox bank (and its callbacks) cleared of the payer\'s data' }),
  idempotencyRecords: Type.Integer({ minimum: 0, description: 'Stored answers of repeated requests, deleted' }),
  privacyRequests: Type.Integer({ minimum: 0, description: 'Other requests naming the same email (unverified or expired), cleared' })
}, { additionalProperties: false })

export const AdminPrivacyRequestSchema = Type.Object({
  ...progress,
  overdue: Type.Boolean({ description: 'Verified, not completed and `dueAt` has passed (Almaty date)' }),
  verificationAttempts: Type.Integer({ minimum: 0, description: 'Wrong codes entered (5 expire the request)' }),
  confirmationNumber: NullableString,
  erased: Type.Union([ErasedCounts, Type.Null()]),
  language: StringEnum(LANGUAGES, { description: 'The language of the request\'s emails' })
}, {
  $id: 'AdminPrivacyRequest',
  additionalProperties: false,
  examples: [{ ...progressExample, overdue: false, verificationAttempts: 0, confirmationNumber: 'PD-2026-000001', erased: { acceptances: 2, callbacks: 3, refundRequests: 0, payments: 2, refunds: 0, emails: 4, bankRecords: 2, idempotencyRecords: 3, privacyRequests: 0 }, language: 'ru' }]
})
export type AdminPrivacyRequest = Static<typeof AdminPrivacyRequestSchema>

export const DestructionConfirmationSchema = Type.Object({
  requestId: RequestId,
  confirmationNumber: Type.String(),
  completedAt: Timestamp,
  dueAt: DueAt,
  controller: Type.Object({
    name: Type.String(),
    bin: Type.String({ pattern: '^\\d{12}$' }),
    address: Type.String()
  }, { additionalProperties: false, description: 'The agency, the controller of the data' }),
  statement: Type.String({ description: 'The written confirmation of destruction (offer cl. 16), in Russian' }),
  erased: ErasedCounts
}, {
  $id: 'DestructionConfirmation',
  additionalProperties: false,
  examples: [{
    requestId: 'prv_0193b3f2a4c07d1e8b5a2f6c9d0e1f23',
    confirmationNumber: 'PD-2026-000001',
    completedAt: '2026-11-25T10:00:02.000Z',
    dueAt: '2027-01-13',
    controller: { name: 'ТОО «Коллекторское агентство «Эксперт Плюс»', bin: '151040003422', address: 'РК, г. Алматы, Ауэзовский район, ул. Толе би 298/2' },
    statement: 'ТОО «Коллекторское агентство «Эксперт Плюс» (БИН 151040003422) подтверждает, что персональные данные … уничтожены 25.11.2026 …',
    erased: {
      acceptances: 1,
      callbacks: 2,
      refundRequests: 0,
      payments: 1,
      refunds: 0,
      emails: 3,
      bankRecords: 1,
      idempotencyRecords: 2,
      privacyRequests: 0
    }
  }]
})
export type DestructionConfirmation = Static<typeof DestructionConfirmationSchema>

export const PrivacyRequestParams = Type.Object({ id: RequestId }, { additionalProperties: false })

export const PrivacyRequestQuery = Type.Object({
  status: Type.Optional(Status),
  overdue: Type.Optional(Type.Boolean({ description: '`true`: not completed and past `dueAt`' })),
  ...paginationQuery(publicIdPattern('privacyRequest'))
}, { additionalProperties: false })
export type PrivacyRequestQueryInput = Static<typeof PrivacyRequestQuery>
