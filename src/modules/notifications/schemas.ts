import { Type } from '@sinclair/typebox'
import { publicIdPattern } from '../../lib/ids.js'
import { TEMPLATES } from './templates.js'
import { NullableTimestamp, StringEnum, Timestamp, paginationQuery } from '../../http/schemas.js'

const MailId = Type.String({ pattern: publicIdPattern('mail'), examples: ['msg_0193b3f2a4c07d1e8b5a2f6c9d0e1f23'] })
const Status = StringEnum(['queued', 'sent', 'failed'], { description: 'queued: waiting for (another) attempt; sent: accepted by the mail server; failed: given up after MAIL_MAX_ATTEMPTS, or not deliverable at all' })

export const OutboxEntrySchema = Type.Object({
  id: MailId,
  template: Type.String({ description: `The message: ${TEMPLATES.join(', ')}` }),
  recipient: Type.String({ description: 'Masked: i***@example.kz' }),
  status: Status,
  attempts: Type.Integer(),
  lastError: Type.Union([Type.String(), Type.Null()], { description: 'The mail server\'s last answer, without addresses or credentials' }),
  nextAttemptAt: Type.Union([Timestamp, Type.Null()], { description: 'When a queued message is tried again (approximately: the worker\'s backoff)' }),
  createdAt: Timestamp,
  sentAt: NullableTimestamp
}, {
  $id: 'MailOutboxEntry',
  additionalProperties: false,
  examples: [{ id: 'msg_0193b3f2a4c07d1e8b5a2f6c9d0e1f23', template: 'payment-receipt', recipient: 'i***@example.kz', status: 'failed', attempts: 10, lastError: '550 5.1.1 Mailbox unavailable', nextAttemptAt: null, createdAt: '2026-03-19T10:00:00.000Z', sentAt: null }]
})

export const OutboxQuery = Type.Object({
  status: Type.Optional(Status),
  ...paginationQuery(publicIdPattern('mail'))
}, { additionalProperties: false })
