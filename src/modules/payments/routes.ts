import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { idempotencyHeaders } from '../../http/idempotency.js'
import { pageOf, problemResponses } from '../../http/schemas.js'
import { getAdminPayment, listAdminPayments } from './admin.js'
import {
  AdminPaymentDetailSchema, AdminPaymentQuery, AdminPaymentSchema, CreatedPaymentSchema, CreatePaymentBody,
  PaymentParams, PaymentSchema, ReceiptSchema, TimelineEntrySchema
} from './schemas.js'
import { createPayment, findPaymentByPublicId, getReceipt, toPayment } from './service.js'

const paymentRoutes: FastifyPluginAsyncTypebox = async (app) => {
  for (const schema of [CreatedPaymentSchema, PaymentSchema, ReceiptSchema, TimelineEntrySchema, AdminPaymentSchema, AdminPaymentDetailSchema]) app.addSchema(schema)
  const deps = { db: app.db, pii: app.pii, bank: app.bank, config: app.config, log: app.log }

  app.post('/payments', {
    config: { idempotency: 'required' },
    schema: {
      operationId: 'createPayment',
      tags: ['Payments'],
      summary: 'Start a card payment',
      description: 'Creates a payment from a fresh acceptance (offer cl. 3, 4) and starts it at the acquiring bank; send the payer to `redirectUrl`, the bank\'s hosted card page. ' +
        'The card never touches this API. `Idempotency-Key` is required: a retry with the same key returns the same payment. ' +
        'The amount is at least PAYMENT_MIN_AMOUNT and at most the outstanding balance. Risk rules may refuse it: 403 `payment_refused` with a `reason` (offer cl. 8). ' +
        'If the bank fails: 502 `bank_unavailable` with `paymentId` and `paymentStatus` (failed, or pending when the bank did not answer in time and the payment will be reconciled).',
      security: [],
      headers: idempotencyHeaders(true),
      body: CreatePaymentBody,
      response: {
        201: Type.Ref(CreatedPaymentSchema),
        ...problemResponses({
          400: ['validation_failed', 'malformed_json', 'card_data_forbidden', 'idempotency_key_required', 'invalid_idempotency_key'],
          403: ['payment_refused'],
          409: ['idempotency_key_in_use'],
          422: ['acceptance_not_found', 'acceptance_expired', 'consent_withdrawn', 'debt_not_payable', 'amount_below_minimum', 'amount_exceeds_outstanding', 'return_url_not_allowed', 'idempotency_key_reused'],
          429: ['rate_limited'],
          502: ['bank_unavailable']
        })
      }
    }
  }, async (request, reply) => await reply.code(201).send(await createPayment(deps, request.body, { ip: request.ip })))

  app.get('/payments/:id', {
    schema: {
      operationId: 'getPayment',
      tags: ['Payments'],
      summary: 'A payment\'s state',
      description: 'Poll after the payer returns from the bank\'s page: `pending` until the bank\'s result arrives, then `succeeded`, `failed` or `expired`.',
      security: [],
      params: PaymentParams,
      response: { 200: Type.Ref(PaymentSchema), ...problemResponses({ 400: ['validation_failed'], 404: ['payment_not_found'], 429: ['rate_limited'] }) }
    }
  }, async (request) => toPayment(await findPaymentByPublicId(app.db, request.params.id)))

  app.get('/payments/:id/receipt', {
    schema: {
      operationId: 'getPaymentReceipt',
      tags: ['Payments'],
      summary: 'Receipt of a paid payment',
      description: 'The agency\'s requisites, the payer, the contract and creditor, the amount and date, the bank\'s payment id and the card mask. 409 `receipt_not_available` until the payment succeeded.',
      security: [],
      params: PaymentParams,
      response: { 200: Type.Ref(ReceiptSchema), ...problemResponses({ 400: ['validation_failed'], 404: ['payment_not_found'], 409: ['receipt_not_available'], 429: ['rate_limited'] }) }
    }
  }, async (request) => await getReceipt(deps, request.params.id))

  const operator = app.requireScopes('operator')
  app.get('/admin/payments', {
    preHandler: operator,
    config: { cardDataFormatted: [{ path: ['query', 'contractNumber'], format: 'contractNumber' }] },
    schema: {
      operationId: 'listPayments',
      tags: ['Admin: payments'],
      summary: 'List payments',
      description: 'Newest first; filter by status, creation time range, contract number and `needsReview` (overpaid or mismatched payments). Scopes: operator, admin.',
      security: [{ apiKey: [] }],
      querystring: AdminPaymentQuery,
      response: { 200: pageOf(Type.Ref(AdminPaymentSchema), 'A page of payments'), ...problemResponses({ 400: ['validation_failed'], 401: ['unauthenticated'], 403: ['forbidden'] }) }
    }
  }, async (request) => await listAdminPayments(app.db, request.query))

  app.get('/admin/payments/:id', {
    preHandler: operator,
    schema: {
      operationId: 'getAdminPayment',
      tags: ['Admin: payments'],
      summary: 'A payment with its timeline',
      description: 'Every event and every bank callback (with the signature verdict and our reply), in order. Scopes: operator, admin.',
      security: [{ apiKey: [] }],
      params: PaymentParams,
      response: { 200: Type.Ref(AdminPaymentDetailSchema), ...problemResponses({ 400: ['validation_failed'], 401: ['unauthenticated'], 403: ['forbidden'], 404: ['payment_not_found'] }) }
    }
  }, async (request) => await getAdminPayment(deps, request.params.id))
}

export default paymentRoutes
