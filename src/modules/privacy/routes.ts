import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { idempotencyHeaders } from '../../http/idempotency.js'
import { pageOf, problemResponses } from '../../http/schemas.js'
import {
  AdminPrivacyRequestSchema, CreatedPrivacyRequestSchema, CreatePrivacyRequestBody, DestructionConfirmationSchema, PrivacyRequestParams,
  PrivacyRequestQuery, PrivacyRequestSchema
} from './schemas.js'
import {
  getAdminPrivacyRequest, getDestructionConfirmation, getPrivacyRequest, listPrivacyRequestsPage, submitPrivacyRequest
} from './service.js'

const privacyRoutes: FastifyPluginAsyncTypebox = async (app) => {
  for (const schema of [CreatedPrivacyRequestSchema, PrivacyRequestSchema, AdminPrivacyRequestSchema, DestructionConfirmationSchema]) app.addSchema(schema)
  const operator = app.requireScopes('operator')
  const auth = { 401: ['unauthenticated'], 403: ['forbidden'] }

  app.post('/privacy-requests', {
    config: { idempotency: 'optional', cardDataFormatted: [{ path: ['body', 'email'], format: 'email' }] },
    schema: {
      operationId: 'createPrivacyRequest',
      tags: ['Privacy'],
      summary: 'Withdraw consent to the processing of personal data',
      description: 'offer cl. 16: processing for new purposes stops at once (an acceptance given with this email can no longer start a payment); ' +
        'the personal data is destroyed by `dueAt`, 30 Kazakhstan business days after receipt, and a written confirmation is then available. ' +
        'Financial records (amounts, dates, statuses) are kept as the law on accounting requires. Data needed by a refund in progress is held until it ends. ' +
        'The answer is the same whether or not the email is known. Honours `Idempotency-Key`.',
      security: [],
      headers: idempotencyHeaders(false),
      body: CreatePrivacyRequestBody,
      response: {
        201: Type.Ref(CreatedPrivacyRequestSchema),
        ...problemResponses({
          400: ['validation_failed', 'malformed_json', 'card_data_forbidden', 'invalid_idempotency_key'],
          409: ['idempotency_key_in_use'],
          422: ['invalid_email', 'invalid_iin', 'invalid_full_name', 'idempotency_key_reused'],
          429: ['rate_limited']
        })
      }
    }
  }, async (request, reply) => await reply.code(201).send(await submitPrivacyRequest({ db: app.db, pii: app.pii }, request.body)))

  app.get('/privacy-requests/:id', {
    schema: {
      operationId: 'getPrivacyRequest',
      tags: ['Privacy'],
      summary: 'A consent withdrawal\'s progress',
      description: '`received`, `on_legal_hold` (with `holdReason`) or `completed` (with `completedAt`), and the due date.',
      security: [],
      params: PrivacyRequestParams,
      response: { 200: Type.Ref(PrivacyRequestSchema), ...problemResponses({ 400: ['validation_failed'], 404: ['privacy_request_not_found'], 429: ['rate_limited'] }) }
    }
  }, async (request) => await getPrivacyRequest(app.db, request.params.id))

  app.get('/privacy-requests/:id/confirmation', {
    schema: {
      operationId: 'getDestructionConfirmation',
      tags: ['Privacy'],
      summary: 'The written confirmation of destruction',
      description: 'offer cl. 16: issued by the agency once the personal data is destroyed: its number, the controller\'s requisites, the statement and what was destroyed. ' +
        '409 `confirmation_not_available` until then.',
      security: [],
      params: PrivacyRequestParams,
      response: {
        200: Type.Ref(DestructionConfirmationSchema),
        ...problemResponses({ 400: ['validation_failed'], 404: ['privacy_request_not_found'], 409: ['confirmation_not_available'], 429: ['rate_limited'] })
      }
    }
  }, async (request) => await getDestructionConfirmation({ db: app.db, agency: app.config.agency }, request.params.id))

  app.get('/admin/privacy-requests', {
    preHandler: operator,
    schema: {
      operationId: 'listPrivacyRequests',
      tags: ['Admin: privacy'],
      summary: 'List consent withdrawals',
      description: 'Filter by status; `overdue=true` lists requests not completed by `dueAt`. Scopes: operator, admin.',
      security: [{ apiKey: [] }],
      querystring: PrivacyRequestQuery,
      response: { 200: pageOf(Type.Ref(AdminPrivacyRequestSchema), 'A page of privacy requests'), ...problemResponses({ 400: ['validation_failed'], ...auth }) }
    }
  }, async (request) => await listPrivacyRequestsPage(app.db, request.query))

  app.get('/admin/privacy-requests/:id', {
    preHandler: operator,
    schema: {
      operationId: 'getAdminPrivacyRequest',
      tags: ['Admin: privacy'],
      summary: 'A consent withdrawal, for operators',
      description: 'Progress, whether it is overdue, the confirmation number and the counts of what was destroyed. Scopes: operator, admin.',
      security: [{ apiKey: [] }],
      params: PrivacyRequestParams,
      response: { 200: Type.Ref(AdminPrivacyRequestSchema), ...problemResponses({ 400: ['validation_failed'], ...auth, 404: ['privacy_request_not_found'] }) }
    }
  }, async (request) => await getAdminPrivacyRequest(app.db, request.params.id))
}

export default privacyRoutes
