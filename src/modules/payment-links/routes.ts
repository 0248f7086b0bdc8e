import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyRequest } from 'fastify'
import { Type } from '@sinclair/typebox'
import { actorOf } from '../../http/auth.js'
import { idempotencyHeaders } from '../../http/idempotency.js'
import { AUTH_PROBLEMS, pageOf, problemResponses } from '../../http/schemas.js'
import {
  CreatedPaymentLinkSchema, CreatedPaymentLinksSchema, CreatePaymentLinkBody, CreatePaymentLinksBody,
  MAX_BATCH_LINKS, PaymentLinkListQuery, PaymentLinkLookupSchema, PaymentLinkParams, PaymentLinkSchema,
  PaymentLinkTokenParams
} from './schemas.js'
import {
  createPaymentLink, createPaymentLinks, getPaymentLinkLookup, listPaymentLinks, revokePaymentLink,
  type LinkOwner, type PaymentLinkDeps
} from './service.js'

/** Registered once by whoever mounts both audiences (partners/routes.ts). */
export const PAYMENT_LINK_SCHEMAS = [PaymentLinkSchema, CreatedPaymentLinkSchema]

export interface PaymentLinkRouteOptions { audience: 'admin' | 'partner' }

/**
 * The same payment-link operations for the back office (`/v1/admin`, every debt; and the batch for a mailing) and
 * for a partner (`/v1/partner`, its creditors' debts only: another creditor's debt or link is the 404 of an unknown
 * one).
 */
export const paymentLinkRoutes: FastifyPluginAsyncTypebox<PaymentLinkRouteOptions> = async (app, { audience }) => {
  const deps: PaymentLinkDeps = {
    db: app.db, pii: app.pii, website: app.config.agency.website, minAmount: app.config.payments.minAmount
  }
  const partner = audience === 'partner'
  const guard = partner ? app.requirePartner() : app.requireScopes('operator')
  const tag = partner ? 'Partner: payment links' : 'Admin: payment links'
  const who = partner ? 'Partner' : 'Admin'
  const scope = partner
    ? 'Scope: partner; the debts of the key\'s creditors only (another creditor\'s is 404, like an unknown one).'
    : 'Scopes: operator, admin.'
  const ownerOf = (request: FastifyRequest): LinkOwner => partner
    ? { kind: 'partner', creditors: request.principal?.creditors ?? [] }
    : { kind: 'admin' }
  const auth = AUTH_PROBLEMS

  app.post('/payment-links', {
    preHandler: guard,
    config: { idempotency: 'optional' },
    schema: {
      operationId: `create${who}PaymentLink`,
      tags: [tag],
      summary: 'Make a payment link to a debt',
      description: 'A link for a letter: whoever holds it pays the debt without the contract number and IIN. The ' +
        'answer carries the `token` (`plt_…`, 192 random bits) and the `url` (AGENCY_WEBSITE + `/pay/` + token), ' +
        'shown only here: the service keeps the token\'s SHA-256. `amount` (tiyn) fixes what the payment must be ' +
        '(at least the minimum payment, at most what is outstanding now); `expiresAt` defaults to 30 days from now ' +
        '(at most 365). Only an active debt takes a link (422 `debt_not_payable`). Honours `Idempotency-Key`. ' +
        `Audit-logged. ${scope}`,
      headers: idempotencyHeaders(false),
      body: CreatePaymentLinkBody,
      response: {
        201: Type.Ref(CreatedPaymentLinkSchema),
        ...problemResponses({
          400: ['validation_failed', 'malformed_json', 'invalid_idempotency_key'], ...auth,
          404: ['debt_not_found'], 409: ['idempotency_key_in_use'],
          422: [
            'debt_not_payable', 'amount_below_minimum', 'amount_exceeds_outstanding', 'invalid_expiry',
            'idempotency_key_reused'
          ]
        })
      }
    }
  }, async (request, reply) =>
    await reply.code(201).send(await createPaymentLink(deps, ownerOf(request), actorOf(request), request.body)))

  if (!partner) {
    app.post('/payment-links/batch', {
      preHandler: guard,
      config: { idempotency: 'optional' },
      schema: {
        operationId: 'createAdminPaymentLinkBatch',
        tags: [tag],
        summary: 'Make payment links for a mailing',
        description: `One link per debt for 1 to ${MAX_BATCH_LINKS} distinct debts, in one transaction: all or ` +
          'nothing. An unknown debt or one no longer payable fails the whole batch with 422 `debts_not_linkable`, ' +
          'whose `debtIds` and `errors` name each (`body.debtIds.<index>`). The links fix no amount; `expiresAt` ' +
          'applies to all (default 30 days). Each token is shown only here. Honours `Idempotency-Key`. ' +
          `Audit-logged (one entry naming the links). ${scope}`,
        headers: idempotencyHeaders(false),
        body: CreatePaymentLinksBody,
        response: {
          201: CreatedPaymentLinksSchema,
          ...problemResponses({
            400: ['validation_failed', 'malformed_json', 'invalid_idempotency_key'], ...auth,
            409: ['idempotency_key_in_use'], 422: ['debts_not_linkable', 'invalid_expiry', 'idempotency_key_reused']
          })
        }
      }
    }, async (request, reply) =>
      await reply.code(201).send(await createPaymentLinks(deps, actorOf(request), request.body)))
  }

  app.get('/payment-links', {
    preHandler: guard,
    schema: {
      operationId: `list${who}PaymentLinks`,
      tags: [tag],
      summary: 'List a debt\'s payment links',
      description: `The links of one debt (\`debtId\`, required), oldest first, with their status; never a token or URL. ${scope}`,
      querystring: PaymentLinkListQuery,
      response: {
        200: pageOf(Type.Ref(PaymentLinkSchema), 'A page of payment links'),
        ...problemResponses({ 400: ['validation_failed'], ...auth, 404: ['debt_not_found'] })
      }
    }
  }, async (request) => await listPaymentLinks(deps, ownerOf(request), request.query))

  app.delete('/payment-links/:id', {
    preHandler: guard,
    schema: {
      operationId: `revoke${who}PaymentLink`,
      tags: [tag],
      summary: 'Revoke a payment link',
      description: 'The link stops working at once: its token answers 404 `payment_link_not_found`, and a payment ' +
        'not yet started from an acceptance made through it is refused the same way. Revoking twice answers the ' +
        `revoked link. Audit-logged. ${scope}`,
      params: PaymentLinkParams,
      response: {
        200: Type.Ref(PaymentLinkSchema),
        ...problemResponses({ 400: ['validation_failed'], ...auth, 404: ['payment_link_not_found'] })
      }
    }
  }, async (request) => await revokePaymentLink(deps, ownerOf(request), actorOf(request), request.params.id))
}

/** The payer's side: what a link leads to. */
export const publicPaymentLinkRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.addSchema(PaymentLinkLookupSchema)
  const deps = { db: app.db, pii: app.pii }

  app.get('/payment-links/:token', {
    // as strict as the lookup it stands in for
    config: { rateLimit: { max: app.config.lookupRateLimitPerMinute, timeWindow: 60_000 } },
    schema: {
      operationId: 'getPaymentLink',
      tags: ['Debts'],
      summary: 'Open a payment link',
      description: 'The page behind a letter\'s link (AGENCY_WEBSITE/pay/{token}) asks this: the lookup\'s answer ' +
        '(`POST /v1/debts/lookup`) and the `amount` the link fixes (null: the payer chooses). Accept the offer with ' +
        '`paymentLinkToken` instead of `debtId`. An unknown, revoked or expired token and a debt no longer payable ' +
        'give the same 404 `payment_link_not_found`. The letter proves possession: no IIN is asked and the ' +
        'contract\'s lookup lock does not apply. Rate limited like the lookup (LOOKUP_RATE_LIMIT_PER_MINUTE per IP, ' +
        'IPv6 per /64). The token is withheld from the service\'s logs.',
      security: [],
      params: PaymentLinkTokenParams,
      response: {
        200: Type.Ref(PaymentLinkLookupSchema),
        ...problemResponses({ 400: ['validation_failed'], 404: ['payment_link_not_found'], 429: ['rate_limited'] })
      }
    }
  }, async (request) => await getPaymentLinkLookup(deps, request.params.token))
}
