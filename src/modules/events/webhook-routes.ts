import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyRequest } from 'fastify'
import { Type } from '@sinclair/typebox'
import { actorOf } from '../../http/auth.js'
import { idempotencyHeaders } from '../../http/idempotency.js'
import { AUTH_PROBLEMS, type ProblemsByStatus, pageOf, paginationQuery, problemResponses } from '../../http/schemas.js'
import { publicIdPattern } from '../../lib/ids.js'
import {
  CreateEndpointBody, DeliveryParams, EndpointParams, EventRedeliverySchema, UpdateEndpointBody, WebhookAttemptSchema,
  WebhookDeliverySchema, WebhookEndpointSchema, WebhookEndpointWithSecretSchema, WebhookTestSchema
} from './webhook-schemas.js'
import { sendTestEvent } from './webhook-tools.js'
import {
  changeEndpoint, createEndpoint, getEndpoint, listEndpointDeliveries, listEndpoints, removeEndpoint, retryDelivery,
  rotateSecret, type EndpointOwner
} from './endpoints.js'

/**
 * The same webhook-endpoint operations for a partner (`/v1/partner`, its
 * creditors' events) and for the agency's own systems (`/v1/admin`, every
 * event). The schemas are registered once by the app (see app.ts).
 */
export const WEBHOOK_SCHEMAS = [
  WebhookEndpointSchema, WebhookEndpointWithSecretSchema, WebhookAttemptSchema, WebhookDeliverySchema,
  WebhookTestSchema, EventRedeliverySchema
]

export interface WebhookRouteOptions { audience: 'admin' | 'partner' }

const webhookRoutes: FastifyPluginAsyncTypebox<WebhookRouteOptions> = async (app, { audience }) => {
  const deps = { db: app.db, pii: app.pii, allowPrivateUrls: app.config.webhooks.allowPrivateUrls }
  const partner = audience === 'partner'
  const guard = partner ? app.requirePartner() : app.requireScopes('admin')
  const tag = partner ? 'Partner: webhooks' : 'Admin: webhooks'
  const op = (name: string): string => `${name}${partner ? 'Partner' : 'Admin'}WebhookEndpoint${name === 'list' ? 's' : ''}`
  const scope = partner ? 'Scope: partner; only the endpoints of the key\'s creditors.' : 'Scope: admin; the agency\'s own endpoints, which receive every event.'
  const auth = AUTH_PROBLEMS
  const notFound = { 404: ['webhook_endpoint_not_found'] } satisfies ProblemsByStatus
  const ownerOf = (request: FastifyRequest): EndpointOwner => partner
    ? { kind: 'partner', keyId: request.principal?.keyId ?? '', creditors: request.principal?.creditors ?? [] }
    : { kind: 'admin' }
  const endpointRef = Type.Ref(WebhookEndpointSchema)
  const withSecretRef = Type.Ref(WebhookEndpointWithSecretSchema)

  app.post('/webhook-endpoints', {
    preHandler: guard,
    config: { idempotency: 'optional' },
    schema: {
      operationId: op('create'),
      tags: [tag],
      summary: 'Register a webhook endpoint',
      description: 'Events are POSTed to `url`, signed per Standard Webhooks (see the Webhooks section). The answer carries the signing `secret`, ' +
        `shown only here. The URL must be https on a public address (422 \`webhook_url_not_allowed\`). Honours \`Idempotency-Key\`. Audit-logged. ${scope}`,
      headers: idempotencyHeaders(false),
      body: CreateEndpointBody,
      response: {
        201: withSecretRef,
        ...problemResponses({ 400: ['validation_failed', 'malformed_json', 'invalid_idempotency_key'], ...auth, 409: ['idempotency_key_in_use'], 422: ['webhook_url_not_allowed', 'idempotency_key_reused'] })
      }
    }
  }, async (request, reply) =>
    await reply.code(201).send(await createEndpoint(deps, ownerOf(request), actorOf(request), request.body)))

  app.get('/webhook-endpoints', {
    preHandler: guard,
    schema: {
      operationId: op('list'),
      tags: [tag],
      summary: 'List webhook endpoints',
      description: `Oldest first; never the secrets. ${scope}`,
      querystring: Type.Object(paginationQuery(publicIdPattern('webhookEndpoint')), { additionalProperties: false }),
      response: { 200: pageOf(endpointRef, 'A page of webhook endpoints'), ...problemResponses({ 400: ['validation_failed'], ...auth }) }
    }
  }, async (request) => await listEndpoints(deps, ownerOf(request), request.query))

  app.get('/webhook-endpoints/:id', {
    preHandler: guard,
    schema: {
      operationId: op('get'),
      tags: [tag],
      summary: 'Get a webhook endpoint',
      description: `The endpoint without its secret. ${scope}`,
      params: EndpointParams,
      response: { 200: endpointRef, ...problemResponses({ 400: ['validation_failed'], ...auth, ...notFound }) }
    }
  }, async (request) => await getEndpoint(deps, ownerOf(request), request.params.id))

  app.patch('/webhook-endpoints/:id', {
    preHandler: guard,
    schema: {
      operationId: op('update'),
      tags: [tag],
      summary: 'Change a webhook endpoint',
      description: `Change the URL, the event types or the status. \`enabled\` again (after a 410 or 5 days of failures) starts a fresh failure count. Audit-logged. ${scope}`,
      params: EndpointParams,
      body: UpdateEndpointBody,
      response: { 200: endpointRef, ...problemResponses({ 400: ['validation_failed', 'malformed_json'], ...auth, ...notFound, 422: ['webhook_url_not_allowed'] }) }
    }
  }, async (request) => await changeEndpoint(deps, ownerOf(request), actorOf(request), request.params.id, request.body))

  app.delete('/webhook-endpoints/:id', {
    preHandler: guard,
    schema: {
      operationId: op('delete'),
      tags: [tag],
      summary: 'Delete a webhook endpoint',
      description: `Nothing more is sent to it; its deliveries go with it. Answers the endpoint as it was. Audit-logged. ${scope}`,
      params: EndpointParams,
      response: { 200: endpointRef, ...problemResponses({ 400: ['validation_failed'], ...auth, ...notFound }) }
    }
  }, async (request) => await removeEndpoint(deps, ownerOf(request), actorOf(request), request.params.id))

  app.post('/webhook-endpoints/:id/rotate-secret', {
    preHandler: guard,
    schema: {
      operationId: `rotate${partner ? 'Partner' : 'Admin'}WebhookSecret`,
      tags: [tag],
      summary: 'Rotate the signing secret',
      description: 'A new secret, shown only in this answer. For 24 hours both the new and the old secret sign every delivery (two `v1,` signatures, ' +
        `space-separated), so the receiver can switch without losing an event. Audit-logged. ${scope}`,
      params: EndpointParams,
      response: { 200: withSecretRef, ...problemResponses({ 400: ['validation_failed'], ...auth, ...notFound }) }
    }
  }, async (request) => await rotateSecret(deps, ownerOf(request), actorOf(request), request.params.id))

  app.post('/webhook-endpoints/:id/test', {
    preHandler: guard,
    config: { idempotency: 'optional' },
    schema: {
      operationId: `test${partner ? 'Partner' : 'Admin'}WebhookEndpoint`,
      tags: [tag],
      summary: 'Send a test event',
      description: 'A `webhook.test` event (its object: `WebhookTest`, see the Webhooks section) is delivered to this endpoint ' +
        'only, whatever its `enabledEvents`, through the normal path: signed with its secret per Standard Webhooks, ' +
        'retried on the schedule, listed among its deliveries. The answer is the new delivery (pending). A test event ' +
        'is not an event of the API: it is not listed at `…/events` and `…/events/{id}` does not find it. 409 ' +
        '`webhook_endpoint_disabled` while the endpoint is disabled. Honours `Idempotency-Key` (without one, each ' +
        `request sends another test event). Audit-logged (\`webhook_endpoint.tested\`). ${scope}`,
      headers: idempotencyHeaders(false),
      params: EndpointParams,
      response: {
        202: Type.Ref(WebhookDeliverySchema),
        ...problemResponses({ 400: ['validation_failed', 'invalid_idempotency_key'], ...auth, ...notFound, 409: ['webhook_endpoint_disabled', 'idempotency_key_in_use'], 422: ['idempotency_key_reused'] })
      }
    }
  }, async (request, reply) =>
    await reply.code(202).send(await sendTestEvent(deps, ownerOf(request), actorOf(request), request.params.id)))

  app.get('/webhook-endpoints/:id/deliveries', {
    preHandler: guard,
    schema: {
      operationId: `list${partner ? 'Partner' : 'Admin'}WebhookDeliveries`,
      tags: [tag],
      summary: 'Deliveries and every attempt',
      description: 'One delivery per event sent to the endpoint, newest first, each with every attempt: time, status code, duration, error, next retry. ' + scope,
      params: EndpointParams,
      querystring: Type.Object(paginationQuery(publicIdPattern('webhookDelivery')), { additionalProperties: false }),
      response: { 200: pageOf(Type.Ref(WebhookDeliverySchema), 'A page of deliveries'), ...problemResponses({ 400: ['validation_failed'], ...auth, ...notFound }) }
    }
  }, async (request) => await listEndpointDeliveries(deps, ownerOf(request), request.params.id, request.query))

  app.post('/webhook-endpoints/:id/deliveries/:deliveryId/retry', {
    preHandler: guard,
    schema: {
      operationId: `retry${partner ? 'Partner' : 'Admin'}WebhookDelivery`,
      tags: [tag],
      summary: 'Send a delivery again',
      description: `The same event (same \`webhook-id\`) is sent again at once, whatever the delivery's state. 409 \`webhook_endpoint_disabled\` while the endpoint is disabled. Audit-logged. ${scope}`,
      params: DeliveryParams,
      response: {
        202: Type.Ref(WebhookDeliverySchema),
        ...problemResponses({ 400: ['validation_failed'], ...auth, 404: ['webhook_endpoint_not_found', 'webhook_delivery_not_found'], 409: ['webhook_endpoint_disabled'] })
      }
    }
  }, async (request, reply) => await reply.code(202).send(
    await retryDelivery(deps, ownerOf(request), actorOf(request), request.params.id, request.params.deliveryId)
  ))
}

export default webhookRoutes
