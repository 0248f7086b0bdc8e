import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { DomainError } from '../../lib/errors.js'
import { problemResponses } from '../../http/schemas.js'
import { idempotencyHeaders } from '../../http/idempotency.js'
import { AcceptanceBody, AcceptanceSchema } from './schemas.js'
import { acceptOffer } from './service.js'

const CONSENT_REQUIRED = 'Consent to the processing of personal data is required to accept the offer (offer cl. 14)'
const CONSENT_FIELD = { errors: [{ path: 'body.personalDataConsent', message: 'must be true' }] }

const acceptanceRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.addSchema(AcceptanceSchema)
  app.post('/offer-acceptances', {
    config: { idempotency: 'optional', cardDataFormatted: [{ path: ['body', 'payer', 'email'], format: 'email' }] },
    // the schema says `const: true` (DESIGN 23); a refusal is the offer's own answer, not a validation failure
    preValidation: async (request) => {
      const body = request.body as { personalDataConsent?: unknown } | null | undefined
      if (body?.personalDataConsent === false) throw new DomainError('consent_required', CONSENT_REQUIRED, CONSENT_FIELD)
    },
    schema: {
      operationId: 'acceptOffer',
      tags: ['Payments'],
      summary: 'Accept the public offer',
      description: 'The client accepts the current offer for a debt and consents to the processing of personal data (offer cl. 2, 3, 14, 15). ' +
        'Send the `version` and `sha256` of the offer shown; if it changed meanwhile, 409 `offer_outdated` carries `currentVersion`. ' +
        'The acceptance may start payments for 24 hours. The evidence (offer version and hash, time, IP, user agent) is kept; personal data is encrypted. ' +
        'Name the debt with the lookup\'s `debtId` or with a payment link\'s `paymentLinkToken` (exactly one: otherwise 422 `invalid_debt_reference`); ' +
        'an unknown, revoked or expired link, or its debt no longer payable, is 404 `payment_link_not_found`, and a link that fixes an amount holds the payment to it. ' +
        'Honours `Idempotency-Key`.',
      security: [],
      headers: idempotencyHeaders(false),
      body: AcceptanceBody,
      response: {
        201: Type.Ref(AcceptanceSchema),
        ...problemResponses({
          400: ['validation_failed', 'malformed_json', 'card_data_forbidden', 'invalid_idempotency_key'],
          404: ['debt_not_found', 'payment_link_not_found'],
          409: ['offer_outdated', 'idempotency_key_in_use'],
          422: [
            'consent_required', 'invalid_email', 'invalid_phone', 'invalid_full_name', 'invalid_debt_reference',
            'idempotency_key_reused'
          ],
          429: ['rate_limited']
        })
      }
    }
  }, async (request, reply) => {
    const acceptance = await acceptOffer({ db: app.db, pii: app.pii }, request.body, { ip: request.ip, userAgent: request.headers['user-agent'] ?? null })
    return await reply.code(201).send(acceptance)
  })
}

export default acceptanceRoutes
