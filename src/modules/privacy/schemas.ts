import { Type, type Static } from '@sinclair/typebox'
import { publicIdPattern } from '../../lib/ids.js'

export const PRIVACY_STATUSES = ['received', 'on_legal_hold', 'completed'] as const
export type PrivacyStatus = typeof PRIVACY_STATUSES[number]

const RequestId = Type.String({ pattern: publicIdPattern('privacyRequest'), examples: ['prv_0193b3f2a4c07d1e8b5a2f6c9d0e1f23'] })
const Status = Type.Union(PRIVACY_STATUSES.map((s) => Type.Literal(s)), {
  description: '`received`, then `completed` once the data is destroyed; `on_legal_hold` while a refund or payment in progress needs it (then erased)'
})
const Timestamp = Type.String({ format: 'date-time' })
const DueAt = Type.String({ format: 'date', description: 'Destroyed by this date: 30 Kazakhstan business days after receipt (offer cl. 16)' })

export const CreatePrivacyRequestBody = Type.Object({
  email: Type.String({ minLength: 3, maxLength: 254, description: 'The email given when accepting the offer (compared case-insensitively)' }),
  fullName: Type.String({ minLength: 1, maxLength: 300 }),
  iin: Type.Optional(Type.String({ minLength: 1, maxLength: 20, description: 'The client\'s IIN, when known: 12 digits with a correct check digit' }))
}, {
  additionalProperties: false,
  examples: [{ email: 'ivanov@example.kz', fullName: 'Иванов Иван Иванович' }]
})
export type CreatePrivacyRequestInput = Static<typeof CreatePrivacyRequestBody>

export const CreatedPrivacyRequestSchema = Type.Object({
  id: RequestId,
  status: Status,
  dueAt: DueAt,
  receivedAt: Timestamp
}, {
  $id: 'CreatedPrivacyRequest',
  additionalProperties: false,
  examples: [{ id: 'prv_0193b3f2a4c07d1e8b5a2f6c9d0e1f23', status: 'received', dueAt: '2027-01-13', receivedAt: '2026-11-25T10:00:00.000Z' }]
})
export type CreatedPrivacyRequest = Static<typeof CreatedPrivacyRequestSchema>

const progress = {
  id: RequestId,
  status: Status,
  dueAt: DueAt,
  receivedAt: Timestamp,
  holdReason: Type.Union([Type.String(), Type.Null()], { description: 'Why the data is held for now (DESIGN section 7)' }),
  completedAt: Type.Union([Timestamp, Type.Null()])
}
const progressExample = { id: 'prv_0193b3f2a4c07d1e8b5a2f6c9d0e1f23', status: 'completed', dueAt: '2027-01-13', receivedAt: '2026-11-25T10:00:00.000Z', holdReason: null, completedAt: '2026-11-25T10:00:02.000Z' }

export const PrivacyRequestSchema = Type.Object(progress, {
  $id: 'PrivacyRequest',
  additionalProperties: false,
  examples: [progressExample]
})
export type PrivacyRequest = Static<typeof PrivacyRequestSchema>

const ErasedCounts = Type.Object({
  acceptances: Type.Integer({ minimum: 0, description: 'Offer acceptances whose name, email, phone, IP and user agent were destroyed' }),
  callbacks: Type.Integer({ minimum: 0, description: 'Bank callbacks whose raw contents were destroyed' }),
  refundRequests: Type.Integer({ minimum: 0, description: 'Refund requests whose written reason was destroyed' })
}, { additionalProperties: false })

export const AdminPrivacyRequestSchema = Type.Object({
  ...progress,
  overdue: Type.Boolean({ description: 'Not completed and `dueAt` has passed (Almaty date)' }),
  confirmationNumber: Type.Union([Type.String(), Type.Null()]),
  erased: Type.Union([ErasedCounts, Type.Null()])
}, {
  $id: 'AdminPrivacyRequest',
  additionalProperties: false,
  examples: [{ ...progressExample, overdue: false, confirmationNumber: 'PD-2026-000001', erased: { acceptances: 2, callbacks: 3, refundRequests: 0 } }]
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
    erased: { acceptances: 1, callbacks: 2, refundRequests: 0 }
  }]
})
export type DestructionConfirmation = Static<typeof DestructionConfirmationSchema>

export const PrivacyRequestParams = Type.Object({ id: RequestId }, { additionalProperties: false })

export const PrivacyRequestQuery = Type.Object({
  status: Type.Optional(Status),
  overdue: Type.Optional(Type.Boolean({ description: '`true`: not completed and past `dueAt`' })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 })),
  startingAfter: Type.Optional(RequestId)
}, { additionalProperties: false })
export type PrivacyRequestQueryInput = Static<typeof PrivacyRequestQuery>
