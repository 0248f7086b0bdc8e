import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { Type } from '@sinclair/typebox'
import { actorOf } from '../../http/auth.js'
import { idempotencyHeaders } from '../../http/idempotency.js'
import { AUTH_PROBLEMS, pageOf, problemResponses } from '../../http/schemas.js'
import { CsvDialectQuery, sendTable, tabularContent, varyByAccept } from '../../http/tabular.js'
import { publicIdPattern } from '../../lib/ids.js'
import type { CsvDialect } from '../../lib/tabular.js'
import {
  CreateRemittanceBody, RemittanceListQuery, RemittanceSchema, StatementDays, StatementLineSchema, StatementSchema,
  type Statement
} from './schemas.js'
import {
  adminStatement, createRemittance, listRemittances, partnerStatement, statementFilename, statementTable
} from './service.js'

export const REMITTANCE_SCHEMAS = [RemittanceSchema, StatementLineSchema, StatementSchema]

const CreditorParams = Type.Object({
  id: Type.String({ pattern: publicIdPattern('creditor') })
}, { additionalProperties: false })

const STATEMENT_DESCRIPTION = 'What the agency owed the creditor at the start of the days (`opening`), what its ' +
  'debts\' payments brought in (`collected`, the part applied to the debts: an overpaid excess is the payer\'s), ' +
  'what refunds and returns gave back (`refunded`), the agency\'s commission on it (`commission`, net of what ' +
  'refunds gave back), the transfers to the creditor (`remitted`) and what it owed at the end (`closing`), with ' +
  'one line per figure and ledger entry, each kind summing to its figure; integer tiyn, read from the ledger ' +
  '(docs/ledger.md). Under an agency agreement closing = opening + collected - refunded - commission - remitted ' +
  '(`basis: payable`); an assignment creditor is owed nothing (`basis: collections`: collected and refunded are ' +
  'its debts\' receivable lines, the other figures 0). `from` to `to`: Asia/Almaty days, both included, at most ' +
  '366 (422 `invalid_date_range`); at most `REPORT_MAX_LINES` lines (422 `report_too_large`). '

const CSV_DESCRIPTION = 'With `Accept: text/csv`: RFC 4180 (CRLF), UTF-8 with a BOM, one table: a `line` record per ' +
  'line, then a `total` record per figure (opening, collected, refunded, commission, remitted, closing; the figure ' +
  'in `kind`, the days in `period_from` and `period_to`); amounts in `amount_tiyn` and in tenge in `amount_kzt`. ' +
  '`?csvDialect=excel-ru`: `;` between fields and a decimal comma, for Excel in a Russian locale.'

const XLSX_DESCRIPTION = 'With `Accept: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet`: the ' +
  'same table as the CSV in one sheet (exceljs\'s streaming writer), `amount_kzt` a number formatted `#,##0.00`.'

function statementResponses (partner: boolean) {
  return {
    200: {
      description: 'The statement: JSON, CSV with `Accept: text/csv`, XLSX with `Accept` of the spreadsheet type',
      content: tabularContent(Type.Ref(StatementSchema), CSV_DESCRIPTION, XLSX_DESCRIPTION)
    },
    ...problemResponses({
      400: ['validation_failed'], ...AUTH_PROBLEMS, 404: ['unknown_creditor'], 406: ['not_acceptable'],
      422: partner
        ? ['invalid_date', 'invalid_date_range', 'report_too_large', 'statement_creditor_required']
        : ['invalid_date', 'invalid_date_range', 'report_too_large']
    })
  }
}

const StatementQuery = {
  ...StatementDays,
  csvDialect: Type.Optional(CsvDialectQuery)
}

async function answer (
  request: FastifyRequest, reply: FastifyReply, statement: Statement, dialect: CsvDialect | undefined
) {
  const format = varyByAccept(request, reply)
  if (format === 'json') return statement
  return sendTable(reply, statementTable(statement), format, { filename: statementFilename(statement), dialect })
}

/** `/v1/admin/creditors/{id}/remittances` and `/statement` (DESIGN 18). */
export const adminRemittanceRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const admin = app.requireScopes('admin')
  const operator = app.requireScopes('operator')

  app.post('/creditors/:id/remittances', {
    preHandler: admin,
    config: { idempotency: 'optional' },
    schema: {
      operationId: 'createAdminRemittance',
      tags: ['Admin: creditors'],
      summary: 'Record a transfer to a creditor of what it is owed',
      description: 'The agency sent the creditor (agency agreement) part of what it owes it: books a `remittance` ' +
        'entry (`bank` -amount, `creditor_payable:<creditor>` +amount) and returns the remittance. Above what the ' +
        'agency owes the creditor now is 422 `remittance_exceeds_payable` (`payable` says how much is owed; an ' +
        'assignment creditor is owed nothing); remittances racing take turns on the payable account and never ' +
        'together exceed it. `date`: the transfer\'s Asia/Almaty day, not in the future (422 `invalid_date`). ' +
        'A transfer has one `reference`: the same reference for the creditor again is 409 ' +
        '`remittance_already_recorded`, nothing booked. Honours `Idempotency-Key`. Audit-logged. Scope: admin.',
      headers: idempotencyHeaders(false),
      params: CreditorParams,
      body: CreateRemittanceBody,
      response: {
        201: Type.Ref(RemittanceSchema),
        ...problemResponses({
          400: ['validation_failed', 'malformed_json', 'invalid_idempotency_key'], ...AUTH_PROBLEMS,
          404: ['unknown_creditor'], 409: ['idempotency_key_in_use', 'remittance_already_recorded'],
          422: ['remittance_exceeds_payable', 'invalid_date', 'idempotency_key_reused']
        })
      }
    }
  }, async (request, reply) =>
    await reply.code(201).send(await createRemittance(app.db, actorOf(request), request.params.id, request.body)))

  app.get('/creditors/:id/remittances', {
    preHandler: operator,
    schema: {
      operationId: 'listAdminRemittances',
      tags: ['Admin: creditors'],
      summary: 'List a creditor\'s remittances',
      description: 'The transfers recorded for the creditor, oldest first. Scopes: operator, admin.',
      params: CreditorParams,
      querystring: RemittanceListQuery,
      response: {
        200: pageOf(Type.Ref(RemittanceSchema), 'A page of remittances'),
        ...problemResponses({ 400: ['validation_failed'], ...AUTH_PROBLEMS, 404: ['unknown_creditor'] })
      }
    }
  }, async (request) => await listRemittances(app.db, request.params.id, request.query))

  app.get('/creditors/:id/statement', {
    preHandler: operator,
    schema: {
      operationId: 'getAdminCreditorStatement',
      tags: ['Admin: creditors'],
      summary: 'A creditor\'s statement over a range of days',
      description: STATEMENT_DESCRIPTION + CSV_DESCRIPTION + ' ' + XLSX_DESCRIPTION + ' Scopes: operator, admin.',
      params: CreditorParams,
      querystring: Type.Object(StatementQuery, { additionalProperties: false }),
      response: statementResponses(false)
    }
  }, async (request, reply) => {
    const { from, to, csvDialect } = request.query
    const statement = await adminStatement(app.db, request.params.id, { from, to }, app.config.reportMaxLines)
    return await answer(request, reply, statement, csvDialect)
  })
}

/** `/v1/partner/statement`: one of the key's creditors. */
export const partnerStatementRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/statement', {
    preHandler: app.requirePartner(),
    schema: {
      operationId: 'getPartnerStatement',
      tags: ['Partner'],
      summary: 'Statement of one of the key\'s creditors',
      description: STATEMENT_DESCRIPTION + '`creditorId`: one of the key\'s creditors (another, or an unknown one, ' +
        'is 404 `unknown_creditor`); it may be left out when the key has exactly one, otherwise 422 ' +
        '`statement_creditor_required`. ' + CSV_DESCRIPTION + ' ' + XLSX_DESCRIPTION + ' Scope: partner.',
      querystring: Type.Object({
        creditorId: Type.Optional(Type.String({ pattern: publicIdPattern('creditor') })),
        ...StatementQuery
      }, { additionalProperties: false }),
      response: statementResponses(true)
    }
  }, async (request, reply) => {
    const { creditorId, from, to, csvDialect } = request.query
    const statement = await partnerStatement(app.db, request.principal?.creditors ?? [], creditorId, { from, to },
      app.config.reportMaxLines)
    return await answer(request, reply, statement, csvDialect)
  })
}
