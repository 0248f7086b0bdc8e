import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { idempotencyHeaders } from '../../http/idempotency.js'
import { AUTH_PROBLEMS, pageOf, problemResponses } from '../../http/schemas.js'
import {
  AdminPrivacyRequestSchema, CreatedPrivacyRequestSchema, CreatePrivacyRequestBody, DestructionConfirmationSchema,
  PrivacyRequestParams, PrivacyRequestQuery, PrivacyRequestSchema, VerifiedPrivacyRequestSchema,
  VerifyPrivacyRequestBody
} from './schemas.js'
import {
  getAdminPrivacyRequest, getDestructionConfirmation, getPrivacyRequest, listPrivacyRequestsPage, submitPrivacyRequest,
  verifyPrivacyRequest
} from './service.js'

const privacyRoutes: FastifyPluginAsyncTypebox = async (app) => {
  for (const schema of [
    CreatedPrivacyRequestSchema, VerifiedPrivacyRequestSchema, PrivacyRequestSchema, AdminPrivacyRequestSchema,
    DestructionConfirmationSchema
  ]) app.addSchema(schema)
  const operator = app.requireScopes('operator')
  const auth = AUTH_PROBLEMS

  // Per IP (/64 for IPv6), on top of the per-email limit in the service: a code is an email sent to someone.
  const perIp = { max: app.config.privacyRequests.perIpPerHour, timeWindow: 3_600_000 }

  app.post('/privacy-requests', {
    config: { idempotency: 'optional', cardDataFormatted: [{ path: ['body', 'email'], format: 'email' }], rateLimit: perIp },
    schema: {
      operationId: 'createPrivacyRequest',
      tags: ['Privacy'],
      summary: 'Ask to withdraw consent to the processing of personal data',
      description: 'offer cl. 16: the withdrawal is an act of the person, so it is verified first. ' +
        'This creates a request `pending_verification` and emails a 6-digit code (in the subject and the body) to the address given; ' +
        'nothing changes until the code comes back to POST /v1/privacy-requests/{id}/verify, within 30 minutes. ' +
        'The answer, and the email, are the same whether or not the email is known. ' +
        `Limits: ${'`PRIVACY_REQUESTS_PER_EMAIL_PER_HOUR`'} requests an hour per email (default 3) and ${'`PRIVACY_REQUESTS_PER_IP_PER_HOUR`'} per IP (default 20), then 429 \`rate_limited\`. ` +
        'Honours `Idempotency-Key`.',
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
  }, async (request, reply) => await reply.code(201).send(await submitPrivacyRequest({
    db: app.db,
    pii: app.pii,
    limits: app.config.privacyRequests
  }, request.body)))

  app.post('/privacy-requests/:id/verify', {
    config: { rateLimit: perIp },
    schema: {
      operationId: 'verifyPrivacyRequest',
      tags: ['Privacy'],
      summary: 'Confirm a consent withdrawal with the emailed code',
      description: 'The right code withdraws consent at once: an acceptance given with this email can no longer start a payment (422 `consent_withdrawn`); ' +
        'the personal data is destroyed by `dueAt`, 30 Kazakhstan business days after verification, then the confirmation is emailed and readable at ' +
        '/v1/privacy-requests/{id}/confirmation. Financial records (amounts, dates, statuses) are kept as the law on accounting requires; data needed by a refund ' +
        'or payment in progress is held until it ends (`on_legal_hold`). A wrong code is 422 `invalid_verification_code` (with `attemptsLeft`); ' +
        'after 5 wrong codes, or 30 minutes, the request is `expired` (422 `verification_expired`) and a new one must be made. ' +
        'Repeating a successful verification with the same code answers the same.',
      security: [],
      params: PrivacyRequestParams,
      body: VerifyPrivacyRequestBody,
      response: {
        200: Type.Ref(VerifiedPrivacyRequestSchema),
        ...problemResponses({
          400: ['validation_failed', 'malformed_json'],
          404: ['privacy_request_not_found'],
          422: ['invalid_verification_code', 'verification_expired'],
          429: ['rate_limited']
        })
      }
    }
  }, async (request) => await verifyPrivacyRequest({ db: app.db, pii: app.pii }, request.params.id, request.body))

  app.get('/privacy-requests/:id', {
    schema: {
      operationId: 'getPrivacyRequest',
      tags: ['Privacy'],
      summary: 'A consent withdrawal\'s progress',
      description: '`pending_verification` (until `verificationExpiresAt`), `expired`, `received` (verified), `on_legal_hold` (with `holdReason`) or `completed` ' +
        '(with `completedAt`), and the due date once verified.',
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
      operationId: 'listAdminPrivacyRequests',
      tags: ['Admin: privacy'],
      summary: 'List consent withdrawals',
      description: 'Every request, verified or not. Filter by status; `overdue=true` lists verified requests not completed by `dueAt`. Scopes: operator, admin.',
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
      params: PrivacyRequestParams,
      response: { 200: Type.Ref(AdminPrivacyRequestSchema), ...problemResponses({ 400: ['validation_failed'], ...auth, 404: ['privacy_request_not_found'] }) }
    }
  }, async (request) => await getAdminPrivacyRequest(app.db, request.params.id))
}

export default privacyRoutes
