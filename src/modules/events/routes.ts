import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { AUTH_PROBLEMS, pageOf, problemResponses } from '../../http/schemas.js'
import { EventParams, EventQuery, EventSchema } from './schemas.js'
import { getEvent, listEventsPage } from './service.js'

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
      security: [{ apiKey: [] }],
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
      security: [{ apiKey: [] }],
      params: EventParams,
      response: { 200: Type.Ref(EventSchema), ...problemResponses({ 400: ['validation_failed'], ...auth, 404: ['event_not_found'] }) }
    }
  }, async (request) => await getEvent(deps, { kind: 'admin' }, request.params.id))
}

export default adminEventRoutes
