import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { actorOf } from '../../http/auth.js'
import { AUTH_PROBLEMS, pageOf, problemResponses } from '../../http/schemas.js'
import { recordAudit } from '../audit/service.js'
import { EventParams, EventQuery, EventSchema } from '../events/schemas.js'
import { getEvent, listEventsPage } from '../events/service.js'
import adminEventRoutes from '../events/routes.js'
import webhookRoutes, { WEBHOOK_SCHEMAS } from '../events/webhook-routes.js'
import { adminReportRoutes, partnerReportRoutes, REPORT_SCHEMAS } from '../reports/routes.js'
import { adminRemittanceRoutes, partnerStatementRoutes, REMITTANCE_SCHEMAS } from '../remittances/routes.js'
import { PAYMENT_LINK_SCHEMAS, paymentLinkRoutes } from '../payment-links/routes.js'
import { PartnerDebtSchema } from '../debts/schemas.js'
import { PartnerPaymentSchema } from '../payments/schemas.js'
import { PartnerRefundRequestSchema, PartnerRefundSchema } from '../refunds/schemas.js'
import { PartnerDebtQuery, PartnerPaymentQuery, PaymentIdParams } from './schemas.js'
import { getPartnerPayment, listPartnerDebts, listPartnerPayments } from './service.js'

/**
 * docs/architecture.md, partners, events and webhooks under `/v1`: the partner API (`/partner/…`, a partner
 * key, its creditors only) and the back office's side of the same things
 * (`/admin/events`, `/admin/webhook-endpoints`, `/admin/reports`, `/admin/payment-links`, the creditors'
 * `/admin/creditors/{id}/remittances` and `/statement`).
 */
const partnerApi: FastifyPluginAsyncTypebox = async (app) => {
  for (const schema of [
    PartnerPaymentSchema, PartnerDebtSchema, PartnerRefundSchema, PartnerRefundRequestSchema, EventSchema,
    ...WEBHOOK_SCHEMAS, ...REPORT_SCHEMAS, ...PAYMENT_LINK_SCHEMAS, ...REMITTANCE_SCHEMAS
  ]) app.addSchema(schema)
  await app.register(partnerRoutes, { prefix: '/partner' })
  await app.register(adminEventRoutes, { prefix: '/admin' })
  await app.register(webhookRoutes, { prefix: '/admin', audience: 'admin' })
  await app.register(adminReportRoutes, { prefix: '/admin' })
  await app.register(adminRemittanceRoutes, { prefix: '/admin' })
  await app.register(paymentLinkRoutes, { prefix: '/admin', audience: 'admin' })
}

const partnerRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const deps = { db: app.db, pii: app.pii, names: app.eventNames }
  const partner = app.requirePartner()
  const auth = AUTH_PROBLEMS
  const creditorsOf = (request: { principal: { creditors: string[] } | null }): string[] =>
    request.principal?.creditors ?? []

  // Every partner action is audit-logged (docs/architecture.md, back office): the changes in
  // their own transaction (webhook endpoints), the reads here, once answered.
  app.addHook('onResponse', async (request, reply) => {
    if (request.principal === null || request.method !== 'GET') return
    const params = request.params as Record<string, unknown> | undefined
    recordAudit(app.db, actorOf(request), {
      action: 'partner.read',
      entityType: 'partner_api',
      entityId: typeof params?.id === 'string' ? params.id : null,
      details: {
        operation: request.routeOptions.schema?.operationId ?? request.routeOptions.url,
        statusCode: reply.statusCode
      }
    }).catch((err: unknown) => { request.log.warn({ err }, 'could not audit a partner read') })
  })

  app.get('/payments', {
    preHandler: partner,
    schema: {
      operationId: 'listPartnerPayments',
      tags: ['Partner'],
      summary: 'List the creditor\'s payments',
      description: 'Payments on the debts of the key\'s creditors, newest first; the payer as initials only. Scope: partner.',
      querystring: PartnerPaymentQuery,
      response: { 200: pageOf(Type.Ref(PartnerPaymentSchema), 'A page of payments'), ...problemResponses({ 400: ['validation_failed'], ...auth }) }
    }
  }, async (request) => await listPartnerPayments(deps, creditorsOf(request), request.query))

  app.get('/payments/:id', {
    preHandler: partner,
    schema: {
      operationId: 'getPartnerPayment',
      tags: ['Partner'],
      summary: 'Get a payment',
      description: 'A payment on a debt of the key\'s creditors. Another creditor\'s payment is 404 `payment_not_found`, like an unknown one. Scope: partner.',
      params: PaymentIdParams,
      response: { 200: Type.Ref(PartnerPaymentSchema), ...problemResponses({ 400: ['validation_failed'], ...auth, 404: ['payment_not_found'] }) }
    }
  }, async (request) => await getPartnerPayment(deps, creditorsOf(request), request.params.id))

  app.get('/debts', {
    preHandler: partner,
    schema: {
      operationId: 'listPartnerDebts',
      tags: ['Partner'],
      summary: 'List the creditor\'s debts',
      description: 'Debts of the key\'s creditors with claim, collected and outstanding amounts from the ledger; the debtor as initials only. Scope: partner.',
      querystring: PartnerDebtQuery,
      response: { 200: pageOf(Type.Ref(PartnerDebtSchema), 'A page of debts'), ...problemResponses({ 400: ['validation_failed'], ...auth }) }
    }
  }, async (request) => await listPartnerDebts(deps, creditorsOf(request), request.query))

  app.get('/events', {
    preHandler: partner,
    schema: {
      operationId: 'listPartnerEvents',
      tags: ['Partner'],
      summary: 'List the creditor\'s events',
      description: 'Events about the key\'s creditors\' payments, refunds, refund requests and debts, newest first, as the webhooks deliver them. Scope: partner.',
      querystring: EventQuery,
      response: { 200: pageOf(Type.Ref(EventSchema), 'A page of events'), ...problemResponses({ 400: ['validation_failed'], ...auth }) }
    }
  }, async (request) => await listEventsPage(deps, { kind: 'partner', creditors: creditorsOf(request) }, request.query))

  app.get('/events/:id', {
    preHandler: partner,
    schema: {
      operationId: 'getPartnerEvent',
      tags: ['Partner'],
      summary: 'Get an event',
      description: 'One event by id (the `webhook-id` of its deliveries); another creditor\'s is 404 `event_not_found`. Scope: partner.',
      params: EventParams,
      response: { 200: Type.Ref(EventSchema), ...problemResponses({ 400: ['validation_failed'], ...auth, 404: ['event_not_found'] }) }
    }
  }, async (request) => await getEvent(deps, { kind: 'partner', creditors: creditorsOf(request) }, request.params.id))

  await app.register(webhookRoutes, { audience: 'partner' })
  await app.register(partnerReportRoutes)
  await app.register(partnerStatementRoutes)
  await app.register(paymentLinkRoutes, { audience: 'partner' })
}

export default partnerApi
