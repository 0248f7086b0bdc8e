import { Type } from '@sinclair/typebox'
import { publicIdPattern } from '../../lib/ids.js'
import { EVENT_TYPES } from './tables.js'
import { StringEnum, paginationQuery } from '../../http/schemas.js'

export const EventTypeSchema = StringEnum(EVENT_TYPES, { description: 'See the Webhooks section for each type\'s object' })
/** What an endpoint subscribes to: an event type, or `*` for all. */
export const EventTypeFilterSchema = StringEnum([...EVENT_TYPES, '*'], { description: 'An event type (see the Webhooks section), or `*` for all' })

export const EventSchema = Type.Object({
  id: Type.String({ pattern: publicIdPattern('event'), description: 'Also the `webhook-id` of its deliveries' }),
  type: EventTypeSchema,
  createdAt: Type.String({ format: 'date-time', description: 'When the fact happened (its transaction)' }),
  data: Type.Object({
    object: Type.Record(Type.String(), Type.Unknown(), { description: 'The object as the API returns it, as it stood when the fact happened (a partner\'s view: payer data masked to initials)' })
  }, { additionalProperties: false })
}, {
  $id: 'Event',
  additionalProperties: false,
  examples: [{ id: 'evt_0193b3f2a4c07d1e8b5a2f6c9d0e1f23', type: 'payment.succeeded', createdAt: '2026-11-25T10:02:11.000Z', data: { object: { id: 'pay_0193b3f2a4c07d1e8b5a2f6c9d0e1f23', status: 'succeeded', amount: 150000, currency: 'KZT' } } }]
})

export const EventQuery = Type.Object({
  type: Type.Optional(EventTypeSchema),
  ...paginationQuery(publicIdPattern('event'))
}, { additionalProperties: false })

export const EventParams = Type.Object({ id: Type.String({ pattern: publicIdPattern('event') }) }, { additionalProperties: false })
