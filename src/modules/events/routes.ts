import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { actorOf } from '../../http/auth.js'
import { idempotencyHeaders } from '../../http/idempotency.js'
import { AUTH_PROBLEMS, pageOf, problemResponses } from '../../http/schemas.js'
import { EventParams, EventQuery, EventSchema } from './schemas.js'
import { getEvent, listEventsPage } from './service.js'
import { EventRedeliverySchema, RedeliverBody } from './webhook-schemas.js'
import { redeliverEvent } from './webhook-tools.js'

/**
 * The back office reads every event, of every creditor and the agency's own (docs/architecture.md, partners, events and
 * webhooks).
 */
const adminEventRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const deps = { db: app.db, pii: app.pii, names: app.eventNames }
  const auth = AUTH_PROBLEMS

  app.get('/events', {
    preHandler: app.requireScopes('operator'),
    schema: {
      operationId: 'listAdminEvents',
      tags: ['Admin: events'],
      summary: 'List events',
      description: 'Every event, newest first, filtered by `type`. The objects are the back office\'s shapes; payer data is never in them beyond initials. Scopes: operator, admin.',
      querystring: EventQuery,
      response: { 200: pageOf(Type.Ref(EventSchema), 'A page of events'), ...problemResponses({ 400: ['validation_failed'], ...auth }) }
    }
  }, async (request) => await listEventsPage(deps, { kind: 'admin' }, request.query))

  app.get('/events/:id', {
    preHandler: app.requireScopes('operator'),
    schema: {
      operationId: 'getAdminEvent',
      tags: ['Admin: events'],
      summary: 'Get an event',
      description: 'One event by id (the `webhook-id` of its deliveries). Scopes: operator, admin.',
      params: EventParams,
      response: { 200: Type.Ref(EventSchema), ...problemResponses({ 400: ['validation_failed'], ...auth, 404: ['event_not_found'] }) }
    }
  }, async (request) => await getEvent(deps, { kind: 'admin' }, request.params.id))

  app.post('/events/:id/redeliver', {
    // no body at all is no endpointId (`curl -X POST …/redeliver`), as `{}`
    preValidation: async (request) => { request.body ??= {} },
    preHandler: app.requireScopes('admin'),
    config: { idempotency: 'optional' },
    schema: {
      operationId: 'redeliverAdminEvent',
      tags: ['Admin: events'],
      summary: 'Send an event again',
      description: 'A new delivery of the event (the same `webhook-id`, the event id: receivers that already have it ' +
        'acknowledge it again), through the normal path: signed, retried on the schedule, listed among the ' +
        'endpoint\'s deliveries. With `endpointId`, to that endpoint only: it must receive the event (its type is in ' +
        'the endpoint\'s `enabledEvents`, and a partner\'s endpoint sees only its creditors\' events), else 422 ' +
        '`webhook_endpoint_not_subscribed`; a disabled one is 409 `webhook_endpoint_disabled`; an unknown one 404 ' +
        '`webhook_endpoint_not_found`. Without it, to every enabled endpoint that receives the event now (the answer ' +
        'lists the deliveries, none if no endpoint does). Each request makes new deliveries; `Idempotency-Key` makes a ' +
        'retried request answer the first one\'s result. Audit-logged (`event.redelivered`). Scope: admin.',
      headers: idempotencyHeaders(false),
      params: EventParams,
      body: RedeliverBody,
      response: {
        202: Type.Ref(EventRedeliverySchema),
        ...problemResponses({
          400: ['validation_failed', 'malformed_json', 'invalid_idempotency_key'],
          ...auth,
          404: ['event_not_found', 'webhook_endpoint_not_found'],
          409: ['webhook_endpoint_disabled', 'idempotency_key_in_use'],
          422: ['webhook_endpoint_not_subscribed', 'idempotency_key_reused']
        })
      }
    }
  }, async (request, reply) =>
    await reply.code(202).send(await redeliverEvent(deps, actorOf(request), request.params.id, request.body)))
}

export default adminEventRoutes
