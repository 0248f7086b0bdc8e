import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { Type } from '@sinclair/typebox'
import { problemResponses } from '../../http/schemas.js'
import { DailyReportSchema, ReportDate, ReportHeaders, ReportLineSchema, ReportTotalSchema, type DailyReport } from './schemas.js'
import { findCreditorByRef } from '../creditors/service.js'
import { dailyReport, reportCsv } from './service.js'

export const REPORT_SCHEMAS = [ReportLineSchema, ReportTotalSchema, DailyReportSchema]

const CSV_DESCRIPTION = 'With `Accept: text/csv`: RFC 4180 (CRLF, quoted fields), UTF-8 with a BOM (Excel reads Cyrillic), one table of `line` records ' +
  '(one per entry) then `total` records (per creditor: received, refunded, returned, net) and `channel_total` records (the same per creditor and channel); ' +
  'the last columns are `channel`, `payment_code` and `kaspi_txn_id`; a text cell beginning with `=`, `+`, `-` or `@` is prefixed with `\'`.'

function responses () {
  return {
    200: {
      description: 'The day\'s report: JSON, or CSV with `Accept: text/csv`',
      content: {
        'application/json': { schema: Type.Ref(DailyReportSchema) },
        'text/csv': { schema: Type.String({ description: CSV_DESCRIPTION }) }
      }
    },
    ...problemResponses({ 400: ['validation_failed'], 401: ['unauthenticated'], 403: ['forbidden'], 422: ['invalid_date'] })
  }
}

function wantsCsv (request: FastifyRequest): boolean {
  return /\btext\/csv\b/i.test(request.headers.accept ?? '')
}

function answer (request: FastifyRequest, reply: FastifyReply, report: DailyReport): DailyReport | string {
  if (!wantsCsv(request)) return report
  void reply.header('content-type', 'text/csv; charset=utf-8').header('content-disposition', `attachment; filename="report-${report.date}.csv"`)
  return reportCsv(report)
}

/** `/v1/partner/reports/daily`: the key's creditors only. */
export const partnerReportRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/reports/daily', {
    preHandler: app.requirePartner(),
    schema: {
      operationId: 'getPartnerDailyReport',
      tags: ['Partner'],
      summary: 'Daily reconciliation report',
      description: 'Every payment received, refund paid and return of one Asia/Almaty day on the key\'s creditors\' debts, one line each (with its channel and the debt\'s payment code), and totals per creditor and per channel ' +
        'that tie to the ledger\'s entries of that day. ' + CSV_DESCRIPTION + ' Scope: partner.',
      security: [{ apiKey: [] }],
      querystring: Type.Object({ date: ReportDate }, { additionalProperties: false }),
      headers: ReportHeaders,
      response: responses()
    }
  }, async (request, reply) =>
    answer(request, reply, await dailyReport(app.db, request.query.date, request.principal?.creditors ?? [])))
}

/** `/v1/admin/reports/daily`: every creditor, or one. */
export const adminReportRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/reports/daily', {
    preHandler: app.requireScopes('operator'),
    schema: {
      operationId: 'getAdminDailyReport',
      tags: ['Admin: reports'],
      summary: 'Daily reconciliation report',
      description: 'Every payment received, refund paid and return of one Asia/Almaty day, one line each (with its channel and the debt\'s payment code), and totals per creditor and per channel that tie to the ledger\'s ' +
        'entries of that day; `creditor` (a creditor id, or a name or alias in any spelling that folds alike) narrows it to one. ' + CSV_DESCRIPTION + ' Scopes: operator, admin.',
      security: [{ apiKey: [] }],
      querystring: Type.Object({
        date: ReportDate,
        creditor: Type.Optional(Type.String({ minLength: 1, maxLength: 200 }))
      }, { additionalProperties: false }),
      headers: ReportHeaders,
      response: responses()
    }
  }, async (request, reply) => {
    // a name (any spelling of its name or an alias) or a cred_ id; one naming no creditor: an empty report
    const named = request.query.creditor
    const creditor = named === undefined ? null : await findCreditorByRef(app.db, named)
    const creditors = named === undefined ? null : creditor === null ? [] : [creditor]
    return answer(request, reply, await dailyReport(app.db, request.query.date, creditors))
  })
}
