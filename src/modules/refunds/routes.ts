import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyRequest } from 'fastify'
import { Type } from '@sinclair/typebox'
import { actorOf } from '../../http/auth.js'
import { idempotencyHeaders } from '../../http/idempotency.js'
import { AUTH_PROBLEMS, pageOf, problemResponses } from '../../http/schemas.js'
import { PaymentParams } from '../payments/schemas.js'
import { retryRefund } from './execution.js'
import type { UnreadableField } from './views.js'
import {
  AdminRefundQuery, AdminRefundRequestSchema, AdminRefundSchema, CreateRefundRequestBody, DecisionBody,
  ExternalRefundBody, RefundParams,
  RefundRequestParams, RefundRequestQuery, RefundRequestSchema, RefundSchema, ReturnBody
} from './schemas.js'
import { recordExternalRefund } from './external.js'
import { decideRefundRequest, getAdminRefund, getAdminRefundRequest, getRefundRequest, listAdminRefunds, listRefundRequestsPage, returnPayment, submitRefundRequest } from './service.js'

/** A refund request's field that does not decrypt: logged (which request and field, never a value), shown as null. */
const unreadableBy = (request: FastifyRequest): UnreadableField => (where) => {
  request.log.warn({ ...where }, 'refund request field cannot be decrypted')
}

const refundRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.addSchema(RefundSchema)
  app.addSchema(RefundRequestSchema)
  app.addSchema(AdminRefundSchema)
  app.addSchema(AdminRefundRequestSchema)
  const deps = { db: app.db, pii: app.pii, refundMaxAttempts: app.config.refunds.maxAttempts }
  const operator = app.requireScopes('operator')
  const auth = AUTH_PROBLEMS

  app.post('/refund-requests', {
    config: { idempotency: 'optional', cardDataFormatted: [{ path: ['body', 'email'], format: 'email' }] },
    schema: {
      operationId: 'createRefundRequest',
      tags: ['Refunds'],
      summary: 'Ask for a refund (written request)',
      description: 'The client\'s written request (offer cl. 5) for a succeeded payment; the email must be the payer\'s (otherwise the same 404 as an unknown payment). ' +
        '`amount` defaults to what is still refundable. One open request per payment. The agency answers officially; an approved refund goes back to the card the money came from, within 5 business days. Honours `Idempotency-Key`.',
      security: [],
      headers: idempotencyHeaders(false),
      body: CreateRefundRequestBody,
      response: {
        201: Type.Ref(RefundRequestSchema),
        ...problemResponses({
          400: ['validation_failed', 'malformed_json', 'card_data_forbidden', 'invalid_idempotency_key'],
          404: ['payment_not_found'],
          409: ['payment_not_refundable', 'refund_request_already_open', 'idempotency_key_in_use'],
          422: ['amount_exceeds_refundable', 'idempotency_key_reused'],
          429: ['rate_limited']
        })
      }
    }
  }, async (request, reply) => await reply.code(201).send(await submitRefundRequest(deps, request.body)))

  app.get('/refund-requests/:id', {
    schema: {
      operationId: 'getRefundRequest',
      tags: ['Refunds'],
      summary: 'A refund request\'s progress',
      description: 'Status, the agency\'s answer, the decision time, `dueAt` and the refund\'s own state.',
      security: [],
      params: RefundRequestParams,
      response: { 200: Type.Ref(RefundRequestSchema), ...problemResponses({ 400: ['validation_failed'], 404: ['refund_request_not_found'], 429: ['rate_limited'] }) }
    }
  }, async (request) => await getRefundRequest(app.db, request.params.id))

  app.get('/admin/refund-requests', {
    preHandler: operator,
    schema: {
      operationId: 'listAdminRefundRequests',
      tags: ['Admin: refunds'],
      summary: 'List refund requests',
      description: 'Filter by status; `overdue=true` lists approved requests whose refund is not done by `dueAt`. ' +
        'Each request shows the payer\'s written `reason` and the `payer` (name, email, phone), decrypted: every ' +
        'request shown is audit-logged as `refund_request.payer_read` (one audit row per request). Scopes: operator, admin.',
      querystring: RefundRequestQuery,
      response: {
        200: pageOf(Type.Ref(AdminRefundRequestSchema), 'A page of refund requests'),
        ...problemResponses({ 400: ['validation_failed'], ...auth })
      }
    }
  }, async (request) => await listRefundRequestsPage(deps, actorOf(request), request.query, unreadableBy(request)))

  app.get('/admin/refund-requests/:id', {
    preHandler: operator,
    schema: {
      operationId: 'getAdminRefundRequest',
      tags: ['Admin: refunds'],
      summary: 'A refund request with the payer\'s reason',
      description: 'The request as `GET /v1/refund-requests/{id}` shows it, plus the payer\'s written `reason` and the ' +
        '`payer` (name, email, phone as the acceptance of the offer recorded them; null members when the payment ' +
        'had no acceptance), decrypted. The read is audit-logged as `refund_request.payer_read`. Scopes: operator, admin.',
      params: RefundRequestParams,
      response: {
        200: Type.Ref(AdminRefundRequestSchema),
        ...problemResponses({ 400: ['validation_failed'], ...auth, 404: ['refund_request_not_found'] })
      }
    }
  }, async (request) => await getAdminRefundRequest(deps, actorOf(request), request.params.id, unreadableBy(request)))

  app.post('/admin/refund-requests/:id/decision', {
    preHandler: operator,
    schema: {
      operationId: 'decideAdminRefundRequest',
      tags: ['Admin: refunds'],
      summary: 'Give the agency\'s official answer',
      description: 'Approve (the refund is queued, `dueAt` = 5 Kazakhstan business days after today) or reject; the answer is shown to the client. Audit-logged. Scopes: operator, admin.',
      params: RefundRequestParams,
      body: DecisionBody,
      response: {
        200: Type.Ref(RefundRequestSchema),
        ...problemResponses({ 400: ['validation_failed', 'malformed_json'], ...auth, 404: ['refund_request_not_found'], 409: ['refund_request_already_decided', 'payment_not_refundable'], 422: ['amount_exceeds_refundable'] })
      }
    }
  }, async (request) => await decideRefundRequest(deps, actorOf(request), request.params.id, request.body))

  app.post('/admin/payments/:id/return', {
    preHandler: operator,
    schema: {
      operationId: 'returnAdminPayment',
      tags: ['Admin: refunds'],
      summary: 'Return a suspicious payment',
      description: 'offer cl. 8: refunds everything not yet refunded to the original card; the payment ends `returned` when the bank confirms, and the debt\'s balance is restored. Undecided refund requests are closed. ' +
        'A Kaspi payment is 409 `payment_not_returnable`: the card bank never had it; cancel it in Kaspi\'s cabinet and record that with `POST /v1/admin/payments/{id}/external-refunds`. Audit-logged. Scopes: operator, admin.',
      params: PaymentParams,
      body: ReturnBody,
      response: { 202: Type.Ref(RefundSchema), ...problemResponses({ 400: ['validation_failed', 'malformed_json'], ...auth, 404: ['payment_not_found'], 409: ['payment_not_returnable'] }) }
    }
  }, async (request, reply) =>
    await reply.code(202).send(await returnPayment(deps, actorOf(request), request.params.id, request.body.reason)))

  app.post('/admin/payments/:id/external-refunds', {
    preHandler: operator,
    config: { idempotency: 'optional' },
    schema: {
      operationId: 'recordAdminExternalRefund',
      tags: ['Admin: refunds'],
      summary: 'Record a refund made in the channel\'s cabinet (Kaspi)',
      description: 'DESIGN 17: a Kaspi payment is cancelled in Kaspi\'s partner cabinet, never through the card bank; ' +
        'this records that cancellation. Nothing is sent anywhere: the refund (kind `external`, with the cabinet\'s ' +
        '`reference`) is `succeeded` at once, the ledger posts `refund_paid` on `clearing:kaspi` (overpaid money ' +
        'first, then the debt is raised back), the payment\'s `refundedAmount` grows and `refund.succeeded` is ' +
        'published. Never above what is refundable (the payment\'s amount less every refund not failed): 422 ' +
        '`amount_exceeds_refundable`; a card payment is 409 `payment_not_external`; the same `reference` twice for ' +
        'one payment is 409 `external_refund_already_recorded`. Honours `Idempotency-Key`. Audit-logged. ' +
        'Scopes: operator, admin.',
      headers: idempotencyHeaders(false),
      params: PaymentParams,
      body: ExternalRefundBody,
      response: {
        201: Type.Ref(AdminRefundSchema),
        ...problemResponses({
          400: ['validation_failed', 'malformed_json', 'card_data_forbidden', 'invalid_idempotency_key'],
          ...auth,
          404: ['payment_not_found'],
          409: ['payment_not_external', 'payment_not_refundable', 'external_refund_already_recorded', 'idempotency_key_in_use'],
          422: ['amount_exceeds_refundable', 'idempotency_key_reused']
        })
      }
    }
  }, async (request, reply) =>
    await reply.code(201).send(await recordExternalRefund(deps, actorOf(request), request.params.id, request.body)))

  app.get('/admin/refunds', {
    preHandler: operator,
    schema: {
      operationId: 'listAdminRefunds',
      tags: ['Admin: refunds'],
      summary: 'List refunds and returns',
      description: 'Filter by `status` (`status=needs_review`: refunds whose outcome at the bank is unknown or does not fit ours, waiting for an operator) and `paymentId`. Scopes: operator, admin.',
      querystring: AdminRefundQuery,
      response: { 200: pageOf(Type.Ref(AdminRefundSchema), 'A page of refunds'), ...problemResponses({ 400: ['validation_failed'], ...auth }) }
    }
  }, async (request) => await listAdminRefunds(app.db, request.query))

  app.get('/admin/refunds/:id', {
    preHandler: operator,
    schema: {
      operationId: 'getAdminRefund',
      tags: ['Admin: refunds'],
      summary: 'One refund or return, with why it needs review',
      description: 'The refund\'s state, attempts, when revoke.php was last sent (`sentAt`), the bank\'s refund id, and for `needs_review` the reason (`reviewReason`). Scopes: operator, admin.',
      params: RefundParams,
      response: { 200: Type.Ref(AdminRefundSchema), ...problemResponses({ 400: ['validation_failed'], ...auth, 404: ['refund_not_found'] }) }
    }
  }, async (request) => await getAdminRefund(app.db, request.params.id))

  app.post('/admin/refunds/:id/retry', {
    preHandler: operator,
    schema: {
      operationId: 'retryAdminRefund',
      tags: ['Admin: refunds'],
      summary: 'Retry a failed or needs_review refund',
      description: 'A `failed` (the bank refused) or `needs_review` (outcome unknown, or the bank\'s refunded total did not fit ours) refund goes back to `pending` in its payment\'s queue. ' +
        'The worker asks the bank (get_status3.php) before anything else: a refund the bank already made is completed without calling revoke.php again. ' +
        '409 `refund_not_failed` in any other state. Audit-logged. Scopes: operator, admin.',
      params: RefundParams,
      response: { 202: Type.Ref(AdminRefundSchema), ...problemResponses({ 400: ['validation_failed'], ...auth, 404: ['refund_not_found'], 409: ['refund_not_failed'] }) }
    }
  }, async (request, reply) => await reply.code(202).send(await retryRefund(deps, actorOf(request), request.params.id)))
}

export default refundRoutes
