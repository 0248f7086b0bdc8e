// `/v1/admin/settlements`: an acquirer's payout uploaded and booked (service.ts), read, and the payments still
// waiting for theirs.
import type { Readable } from 'node:stream'
import type { FastifyPluginAsyncTypebox, TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { actorOf } from '../../http/auth.js'
import { readBoundedBody } from '../../http/bounded-body.js'
import { CSV_MEDIA_TYPES, rawBodyRoutes } from '../../http/media-types.js'
import { AUTH_PROBLEMS, pageOf, problemResponses } from '../../http/schemas.js'
import {
  OverdueListQuery, OverduePaymentSchema, SettlementListQuery, SettlementParams, SettlementSchema,
  SettlementSummarySchema, SettlementUploadQuery
} from './schemas.js'
import { listOverduePage } from './overdue.js'
import { getSettlement, listSettlementsPage, uploadSettlement } from './service.js'


const settlementRoutes: FastifyPluginAsyncTypebox = async (app) => {
  for (const schema of [SettlementSchema, SettlementSummarySchema, OverduePaymentSchema]) app.addSchema(schema)
  const operator = app.requireScopes('operator')
  const limits = app.config.channelRegistries
  const overdueDays = app.config.settlements.overdueDays

  // The file arrives as the raw body (http/media-types.ts, rawBodyRoutes); file.ts checks each field by its format.
  await rawBodyRoutes(app, CSV_MEDIA_TYPES, async (upload) => {
    upload.withTypeProvider<TypeBoxTypeProvider>().post('/admin/settlements', {
      preHandler: operator,
      schema: {
        operationId: 'uploadAdminSettlement',
        tags: ['Admin: settlements'],
        summary: 'Book an acquirer\'s payout against our payments',
        description: 'The body is one payout\'s registry, `Content-Type: text/csv`, UTF-8, comma separated, header ' +
          '`payout_id,payout_date,reference,amount,fee`: every line the same `payout_id` and `payout_date` ' +
          '(YYYY-MM-DD); `reference` the bank\'s payment id (`channel=card`) or Kaspi\'s txn_id (`channel=kaspi`); ' +
          '`amount` and `fee` tenge with up to two decimals, read exactly, 0 <= fee <= amount. A line matches a ' +
          'succeeded payment of the channel, not settled before, with the same amount. The matched lines are booked ' +
          'as one `settlement` ledger entry (clearing:<channel> -gross, bank +net, fees:<channel> +fees) and their ' +
          'payments marked settled; every other line is listed in `unmatched` with its reason and its payment, when ' +
          'known, flagged for review (`needsReview`, `payment.needs_review`). 201 with the settlement; the same ' +
          '`payout_id` again for the channel is 200 with the stored answer, booking nothing (even for another ' +
          'file). A payout whose matched gross is more than the channel\'s clearing account holds (payments ' +
          'refunded before their payout) is 409 `settlement_exceeds_clearing`. A file with any bad line, or lines ' +
          'of two payouts, is refused whole: 422 `invalid_csv` listing the lines (`errors[].path` `body.line[N]`); ' +
          'a wrong header is 422 `invalid_csv_header`. Bounds: `CHANNEL_REGISTRY_MAX_BYTES` and ' +
          '`CHANNEL_REGISTRY_MAX_LINES` (413 `payload_too_large`), fields at most 64 characters. Audit-logged. ' +
          'Scopes: operator, admin.',
        consumes: [...CSV_MEDIA_TYPES],
        querystring: SettlementUploadQuery,
        body: Type.String({ format: 'binary', description: 'The payout registry CSV, as the acquirer sent it' }),
        response: {
          200: Type.Ref(SettlementSchema, { description: 'This payout came before: its settlement, as stored' }),
          201: Type.Ref(SettlementSchema),
          ...problemResponses({
            400: ['validation_failed'], ...AUTH_PROBLEMS, 408: ['request_timeout'], 409: ['settlement_exceeds_clearing'],
            413: ['payload_too_large'], 415: ['unsupported_media_type'], 422: ['invalid_csv_header', 'invalid_csv']
          })
        }
      }
    }, async (request, reply) => {
      const file = await readBoundedBody(request.headers, request.body as unknown as Readable, limits.maxBytes, 'payout')
      const { settlement, created } = await uploadSettlement({ db: app.db }, actorOf(request), {
        channel: request.query.channel, file, maxLines: limits.maxLines
      })
      return await reply.code(created ? 201 : 200).send(settlement)
    })
  })

  app.get('/admin/settlements', {
    preHandler: operator,
    schema: {
      operationId: 'listAdminSettlements',
      tags: ['Admin: settlements'],
      summary: 'List settlements',
      description: 'Newest first, each with its figures and how many lines were not booked; filter by `channel`. ' +
        'Scopes: operator, admin.',
      querystring: SettlementListQuery,
      response: {
        200: pageOf(Type.Ref(SettlementSummarySchema), 'A page of settlements'),
        ...problemResponses({ 400: ['validation_failed'], ...AUTH_PROBLEMS })
      }
    }
  }, async (request) => await listSettlementsPage(app.db, request.query))

  app.get('/admin/settlements/overdue', {
    preHandler: operator,
    schema: {
      operationId: 'listAdminOverdueSettlements',
      tags: ['Admin: settlements'],
      summary: 'Succeeded payments no payout has settled in time',
      description: 'Succeeded payments with no settlement `SETTLEMENT_OVERDUE_DAYS` Kazakhstan business days after ' +
        'the Asia/Almaty day they were paid (the non-working days of `/v1/admin/calendar`), oldest first; filter by ' +
        '`channel`. Counted in the metric `debt_payments_settlements_overdue{channel}`; the daily check logs them at ' +
        'error level. Scopes: operator, admin.',
      querystring: OverdueListQuery,
      response: {
        200: pageOf(Type.Ref(OverduePaymentSchema), 'A page of overdue payments'),
        ...problemResponses({ 400: ['validation_failed'], ...AUTH_PROBLEMS })
      }
    }
  }, async (request) => await listOverduePage(app.db, overdueDays, request.query))

  app.get('/admin/settlements/:id', {
    preHandler: operator,
    schema: {
      operationId: 'getAdminSettlement',
      tags: ['Admin: settlements'],
      summary: 'A settlement with its unmatched lines',
      description: 'The payout as it was booked: its figures and every line not booked. Scopes: operator, admin.',
      params: SettlementParams,
      response: {
        200: Type.Ref(SettlementSchema),
        ...problemResponses({ 400: ['validation_failed'], ...AUTH_PROBLEMS, 404: ['settlement_not_found'] })
      }
    }
  }, async (request) => await getSettlement(app.db, request.params.id))
}

export default settlementRoutes
