import { Type, type Static } from '@sinclair/typebox'
import { publicIdPattern } from '../../lib/ids.js'
import { EventTypeFilterSchema } from './schemas.js'
import { StringEnum, Timestamp, NullableTimestamp, NullableString } from '../../http/schemas.js'

const EnabledEvents = Type.Array(EventTypeFilterSchema, {
  minItems: 1,
  maxItems: 12,
  uniqueItems: true,
  description: 'The event types sent to this endpoint; `["*"]` (the default) for all'
})
const Url = Type.String({
  format: 'uri',
  minLength: 1,
  maxLength: 2000,
  description: 'https, on a public address (checked again on the resolved address at every delivery); http and private addresses only with WEBHOOK_ALLOW_PRIVATE_URLS=true'
})

export const WebhookEndpointSchema = Type.Object({
  id: Type.String({ pattern: publicIdPattern('webhookEndpoint') }),
  url: Type.String(),
  description: NullableString,
  enabledEvents: Type.Array(Type.String()),
  status: StringEnum(['enabled', 'disabled'], { description: '`disabled` by its owner, on a 410 answer, or after 5 days of failures' }),
  disabledReason: NullableString,
  creditors: Type.Union([Type.Array(Type.String()), Type.Null()], { description: 'Whose events it receives, creditor ids (`cred_…`, the key\'s); null: every creditor and the agency\'s own events (an admin endpoint)' }),
  previousSecretExpiresAt: Type.Union([Timestamp, Type.Null()], { description: 'After a rotation: until then the previous secret signs too' }),
  createdAt: Timestamp,
  updatedAt: Timestamp
}, {
  $id: 'WebhookEndpoint',
  additionalProperties: false,
  examples: [{ id: 'whe_0193b3f2a4c07d1e8b5a2f6c9d0e1f23', url: 'https://partner.example.kz/webhooks/explus', description: null, enabledEvents: ['*'], status: 'enabled', disabledReason: null, creditors: ['cred_0193b3f2a4c07d1e8b5a2f6c9d0e1f24'], previousSecretExpiresAt: null, createdAt: '2026-11-25T10:00:00.000Z', updatedAt: '2026-11-25T10:00:00.000Z' }]
})
export type WebhookEndpoint = Static<typeof WebhookEndpointSchema>

export const WebhookEndpointWithSecretSchema = Type.Object({
  ...WebhookEndpointSchema.properties,
  secret: Type.String({ pattern: '^whsec_[A-Za-z0-9+/]{43}=$', description: 'The signing secret (`whsec_` + base64 of 32 bytes). Shown only in this response: store it now.' })
}, {
  $id: 'WebhookEndpointWithSecret',
  additionalProperties: false,
  examples: [{ ...WebhookEndpointSchema.examples[0], secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw7g3kUhlpDXU=' }]
})
export type WebhookEndpointWithSecret = Static<typeof WebhookEndpointWithSecretSchema>

export const CreateEndpointBody = Type.Object({
  url: Url,
  enabledEvents: Type.Optional(EnabledEvents),
  description: Type.Optional(Type.String({ maxLength: 500 }))
}, { additionalProperties: false, examples: [{ url: 'https://partner.example.kz/webhooks/explus', enabledEvents: ['payment.succeeded', 'refund.succeeded'] }] })
export type CreateEndpointInput = Static<typeof CreateEndpointBody>

export const UpdateEndpointBody = Type.Object({
  url: Type.Optional(Url),
  enabledEvents: Type.Optional(EnabledEvents),
  description: Type.Optional(Type.Union([Type.String({ maxLength: 500 }), Type.Null()])),
  status: Type.Optional(StringEnum(['enabled', 'disabled'], { description: '`enabled` again starts a fresh count of failures' }))
}, { additionalProperties: false, examples: [{ status: 'enabled' }] })
export type UpdateEndpointInput = Static<typeof UpdateEndpointBody>

export const WebhookAttemptSchema = Type.Object({
  attemptedAt: Timestamp,
  statusCode: Type.Union([Type.Integer(), Type.Null()], { description: 'The endpoint\'s HTTP status; null when no answer came' }),
  durationMs: Type.Integer(),
  error: Type.Union([Type.String(), Type.Null()], { description: 'Why no answer came (timeout, refused address, reset)' }),
  nextRetryAt: NullableTimestamp
}, { $id: 'WebhookAttempt', additionalProperties: false })

export const WebhookDeliverySchema = Type.Object({
  id: Type.String({ pattern: publicIdPattern('webhookDelivery') }),
  endpointId: Type.String({ pattern: publicIdPattern('webhookEndpoint'), description: 'The endpoint it is sent to' }),
  eventId: Type.String({ pattern: publicIdPattern('event'), description: 'Also the `webhook-id` header of every attempt' }),
  eventType: Type.String(),
  status: StringEnum(['pending', 'succeeded', 'failed'], { description: '`failed`: the retry schedule is exhausted, the endpoint answered 410 or was disabled' }),
  attemptCount: Type.Integer(),
  attemptedAt: NullableTimestamp,
  statusCode: Type.Union([Type.Integer(), Type.Null()], { description: 'Of the last attempt' }),
  durationMs: Type.Union([Type.Integer(), Type.Null()], { description: 'Of the last attempt' }),
  error: Type.Union([Type.String(), Type.Null()], { description: 'Of the last attempt' }),
  nextRetryAt: NullableTimestamp,
  attempts: Type.Array(Type.Ref(WebhookAttemptSchema), { description: 'Every attempt, oldest first' }),
  createdAt: Timestamp,
  completedAt: NullableTimestamp
}, {
  $id: 'WebhookDelivery',
  additionalProperties: false,
  examples: [{
    id: 'whd_0193b3f2a4c07d1e8b5a2f6c9d0e1f25',
    endpointId: 'whe_0193b3f2a4c07d1e8b5a2f6c9d0e1f23',
    eventId: 'evt_0193b3f2a4c07d1e8b5a2f6c9d0e1f24',
    eventType: 'payment.succeeded',
    status: 'succeeded',
    attemptCount: 2,
    attemptedAt: '2026-11-25T10:02:17.000Z',
    statusCode: 200,
    durationMs: 84,
    error: null,
    nextRetryAt: null,
    attempts: [
      { attemptedAt: '2026-11-25T10:02:12.000Z', statusCode: 500, durationMs: 91, error: null, nextRetryAt: '2026-11-25T10:02:17.000Z' },
      { attemptedAt: '2026-11-25T10:02:17.000Z', statusCode: 200, durationMs: 84, error: null, nextRetryAt: null }
    ],
    createdAt: '2026-11-25T10:02:11.000Z',
    completedAt: '2026-11-25T10:02:17.000Z'
  }]
})
export type WebhookDelivery = Static<typeof WebhookDeliverySchema>

/** The object of a `webhook.test` event (webhook-tools.ts). */
export const WebhookTestSchema = Type.Object({
  endpointId: Type.String({ pattern: publicIdPattern('webhookEndpoint'), description: 'The endpoint it was sent to' }),
  message: Type.String({ description: 'Says that it stands for no fact' })
}, {
  $id: 'WebhookTest',
  additionalProperties: false,
  description: 'Sent by `POST …/webhook-endpoints/{id}/test` to that endpoint only; never listed among the events.',
  examples: [{ endpointId: 'whe_0193b3f2a4c07d1e8b5a2f6c9d0e1f23', message: 'A test event sent on request: it stands for no payment or other fact. Answer 2xx.' }]
})

export const RedeliverBody = Type.Object({
  endpointId: Type.Optional(Type.String({
    pattern: publicIdPattern('webhookEndpoint'),
    description: 'Only to this endpoint (it must receive the event\'s type and creditor); without it, to every enabled endpoint that does'
  }))
}, { additionalProperties: false, examples: [{ endpointId: 'whe_0193b3f2a4c07d1e8b5a2f6c9d0e1f23' }, {}] })

export const EventRedeliverySchema = Type.Object({
  eventId: Type.String({ pattern: publicIdPattern('event') }),
  deliveries: Type.Array(Type.Ref(WebhookDeliverySchema), { description: 'The new deliveries, one per endpoint (none when no endpoint receives the event now)' })
}, {
  $id: 'EventRedelivery',
  additionalProperties: false,
  examples: [{
    eventId: 'evt_0193b3f2a4c07d1e8b5a2f6c9d0e1f24',
    deliveries: [{ ...WebhookDeliverySchema.examples[0], id: 'whd_0193b3f2a4c07d1e8b5a2f6c9d0e1f26', status: 'pending', attemptCount: 0, attemptedAt: null, statusCode: null, durationMs: null, error: null, nextRetryAt: '2026-11-26T08:00:00.000Z', attempts: [], createdAt: '2026-11-26T08:00:00.000Z', completedAt: null }]
  }]
})
export type EventRedelivery = Static<typeof EventRedeliverySchema>

export const EndpointParams = Type.Object({ id: Type.String({ pattern: publicIdPattern('webhookEndpoint') }) }, { additionalProperties: false })
export const DeliveryParams = Type.Object({
  id: Type.String({ pattern: publicIdPattern('webhookEndpoint') }),
  deliveryId: Type.String({ pattern: publicIdPattern('webhookDelivery') })
}, { additionalProperties: false })
