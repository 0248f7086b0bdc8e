import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { idempotencyHeaders } from '../../http/idempotency.js'
import { pageOf, problemResponses } from '../../http/schemas.js'
import { searchIndexes } from '../../http/search.js'
import { getAdminPayment, listAdminPayments } from './back-office.js'
import {
  AdminPaymentDetailSchema, AdminPaymentQuery, AdminPaymentSchema, CreatedPaymentSchema, CreatePaymentBody,
  PaymentParams, PaymentSchema, ReceiptHeaders, ReceiptSchema, ResultPageQuery, TimelineEntrySchema
} from './schemas.js'
import { createPayment, findPaymentByPublicId, getReceipt, getResultPage, toPayment } from './service.js'
import { negotiateLanguage } from '../../lib/i18n.js'
import { RESULT_PAGE_CSP } from './result-page.js'

const paymentRoutes: FastifyPluginAsyncTypebox = async (app) => {
  for (const schema of [
    CreatedPaymentSchema, PaymentSchema, ReceiptSchema, TimelineEntrySchema, AdminPaymentSchema,
    AdminPaymentDetailSchema
  ]) app.addSchema(schema)
  const deps = { db: app.db, pii: app.pii, bank: app.bank, config: app.config, log: app.log }

  app.post('/payments', {
    config: { idempotency: 'required' },
    schema: {
      operationId: 'createPayment',
      tags: ['Payments'],
      summary: 'Start a card payment',
      description: 'Creates a payment from a fresh acceptance (offer cl. 3, 4) and starts it at the acquiring bank; send the payer to `redirectUrl`, the bank\'s hosted card page. ' +
        'The card never touches this API. `Idempotency-Key` is required: a retry with the same key returns the same payment, `clientSecret` included. ' +
        '`clientSecret` opens the receipt (GET /v1/payments/{id}/receipt, header `X-Client-Secret`): keep it for the payer, it is never shown again. ' +
        'Without `returnUrl` the bank sends the payer back to our result page (GET /v1/payments/{id}/result). ' +
        'The amount is at least PAYMENT_MIN_AMOUNT and at most the outstanding balance. Risk rules may refuse it: 403 `payment_refused` with a `reason` (offer cl. 8). ' +
        'From an acceptance made through a payment link: the link must still be active (revoked or expired: 404 `payment_link_not_found`), and a link that fixes an amount takes that amount alone (422 `amount_differs_from_link`). ' +
        'If the bank fails: 502 `bank_unavailable` with `paymentId`, `clientSecret` and `paymentStatus` (failed, or pending when the bank did not answer in time and the payment will be reconciled).',
      security: [],
      headers: idempotencyHeaders(true),
      body: CreatePaymentBody,
      response: {
        201: Type.Ref(CreatedPaymentSchema),
        ...problemResponses({
          400: ['validation_failed', 'malformed_json', 'card_data_forbidden', 'idempotency_key_required', 'invalid_idempotency_key'],
          403: ['payment_refused'],
          404: ['payment_link_not_found'],
          409: ['idempotency_key_in_use'],
          422: ['acceptance_not_found', 'acceptance_expired', 'consent_withdrawn', 'debt_not_payable', 'amount_below_minimum', 'amount_exceeds_outstanding', 'amount_differs_from_link', 'return_url_not_allowed', 'idempotency_key_reused'],
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
      description: 'Poll after the payer returns from the bank\'s page: `pending` until the bank\'s result arrives, then `succeeded`, `failed` or `expired`. ' +
        'Anyone with the id may read it, so it carries no personal data (the receipt does, behind the client secret).',
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
      description: 'The agency\'s requisites, the payer, the contract and creditor, the amount and date, the bank\'s payment id and the card mask. ' +
        'It names the payer, so it needs the payment\'s `clientSecret` (from POST /v1/payments) in `X-Client-Secret` (required: without it 400 `validation_failed`); ' +
        'with a wrong one the answer is the same 404 `payment_not_found` as for an unknown payment. 409 `receipt_not_available` until the payment succeeded.',
      security: [],
      params: PaymentParams,
      headers: ReceiptHeaders,
      response: { 200: Type.Ref(ReceiptSchema), ...problemResponses({ 400: ['validation_failed'], 404: ['payment_not_found'], 409: ['receipt_not_available'], 429: ['rate_limited'] }) }
    }
  }, async (request) => await getReceipt(deps, request.params.id, request.headers['x-client-secret']))

  app.get('/payments/:id/result', {
    schema: {
      operationId: 'getPaymentResultPage',
      tags: ['Payments'],
      summary: 'The payer\'s result page (HTML)',
      description: 'Where the bank sends the payer back when the payment was created without `returnUrl`: a small page in Kazakh, Russian or English (`lang`, else Accept-Language, else ru) with the recorded status ' +
        '(paid, declined, expired, or still processing: then it reloads itself every few seconds), the amount, and a link to the agency\'s website (AGENCY_WEBSITE). ' +
        'It shows our own record, never what the URL says, and no personal data. No script, a strict Content-Security-Policy, `Cache-Control: no-store`.',
      security: [],
      params: PaymentParams,
      querystring: ResultPageQuery,
      response: {
        200: { description: 'The result page', content: { 'text/html': { schema: Type.String({ description: 'HTML document (lang="kk", "ru" or "en")', examples: ['<!doctype html>\n<html lang="ru">…<h1 class="ok">Платёж выполнен</h1>…<dt>Сумма</dt><dd>1 500,00 ₸</dd>…<a class="back" href="https://www.explus.kz/">Вернуться на сайт агентства</a>…</html>'] }) } } },
        ...problemResponses({ 400: ['validation_failed'], 404: ['payment_not_found'], 429: ['rate_limited'] })
      }
    }
  }, async (request, reply) => {
    const language = negotiateLanguage(request.headers['accept-language'], request.query.lang)
    const html = await getResultPage(deps, request.params.id, language)
    return await reply
      .header('cache-control', 'no-store')
      .header('content-language', language)
      .header('vary', 'accept-language')
      .header('content-security-policy', RESULT_PAGE_CSP)
      .type('text/html; charset=utf-8')
      .send(html)
  })

  const operator = app.requireScopes('operator')
  app.get('/admin/payments', {
    preHandler: operator,
    config: { cardDataFormatted: [{ path: ['query', 'contractNumber'], format: 'contractNumber' }] },
    schema: {
      operationId: 'listAdminPayments',
      tags: ['Admin: payments'],
      summary: 'List payments',
      description: 'Newest first; filter by status, creation time range, contract number, `needsReview` (overpaid or mismatched payments) and `channel` (`card`, `kaspi`). ' +
        'Search (DESIGN 20): the debt\'s `iin` (the debtor\'s), `paymentCode` and `creditorId`, and the payer\'s ' +
        '`email` and `phone` (card payments; the phone on payments made since migration 0038); personal data is ' +
        'normalised as stored and matched by its blind index, never kept or logged in clear. Filters combine with AND. ' +
        'Each payment names its channel, Kaspi\'s transaction id (Kaspi payments) and its debt\'s payment code. Scopes: operator, admin.',
      querystring: AdminPaymentQuery,
      response: { 200: pageOf(Type.Ref(AdminPaymentSchema), 'A page of payments'), ...problemResponses({ 400: ['validation_failed'], 401: ['unauthenticated'], 403: ['forbidden'] }) }
    }
  }, async (request) => {
    const { iin, email, phone, ...query } = request.query
    return await listAdminPayments(app.db, { ...query, ...searchIndexes(app.pii, { iin, email, phone }) })
  })

  app.get('/admin/payments/:id', {
    preHandler: operator,
    schema: {
      operationId: 'getAdminPayment',
      tags: ['Admin: payments'],
      summary: 'A payment with its timeline',
      description: 'Every event and every bank callback (with the signature verdict and our reply), in order. Scopes: operator, admin.',
      params: PaymentParams,
      response: { 200: Type.Ref(AdminPaymentDetailSchema), ...problemResponses({ 400: ['validation_failed'], 401: ['unauthenticated'], 403: ['forbidden'], 404: ['payment_not_found'] }) }
    }
  }, async (request) => await getAdminPayment(deps, request.params.id))
}

export default paymentRoutes
