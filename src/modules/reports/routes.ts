import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { Type } from '@sinclair/typebox'
import { problemResponses } from '../../http/schemas.js'
import { CsvDialectQuery, sendTable, tabularContent, varyByAccept } from '../../http/tabular.js'
import type { CsvDialect } from '../../lib/tabular.js'
import { DailyReportSchema, ReportDays, ReportLineSchema, ReportTotalSchema } from './schemas.js'
import { dailyReport, reportFilename, reportPeriod, reportTable, type ReportDaysQuery } from './service.js'
import { findCreditorByRef } from '../creditors/service.js'

export const REPORT_SCHEMAS = [ReportLineSchema, ReportTotalSchema, DailyReportSchema]

const CSV_DESCRIPTION = 'With `Accept: text/csv`: RFC 4180 (CRLF, quoted fields), UTF-8 with a BOM (Excel reads Cyrillic), one table of `line` records ' +
  '(one per entry) then `total` records (per creditor and figure: received, refunded, returned, net, the figure in `kind`) and `channel_total` records ' +
  '(the same per creditor and channel); the column `record` is the row\'s kind; a total row has no `time`, its days are in `period_from` and ' +
  '`period_to`; amounts in `amount_tiyn` and in tenge with two decimals in `amount_kzt`; a text cell beginning with `=`, `+`, `-` or `@` is ' +
  'prefixed with `\'`. `?csvDialect=excel-ru`: the same with `;` between fields and a decimal comma (`1500,00`), for Excel in a Russian locale.'

const XLSX_DESCRIPTION = 'With `Accept: ' + 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet`: the same table as the CSV in ' +
  'one sheet, written by a streaming writer (exceljs): header row frozen, `amount_tiyn` a number, `amount_kzt` a number of tenge formatted ' +
  '`#,##0.00`, times as text with their offset, ids and codes as text.'

const DAYS_DESCRIPTION = 'One Asia/Almaty day (`date`), or `from` to `to` (both included, at most 366 days: 422 `invalid_date_range`); ' +
  'times on Almaty\'s clock with the offset (`2026-12-07T11:20:00+05:00`). At most `REPORT_MAX_LINES` lines (default 100000), ' +
  'more is 422 `report_too_large`. '

function responses () {
  return {
    200: {
      description: 'The report: JSON, CSV with `Accept: text/csv`, XLSX with `Accept` of the spreadsheet type',
      content: tabularContent(Type.Ref(DailyReportSchema), CSV_DESCRIPTION, XLSX_DESCRIPTION)
    },
    ...problemResponses({
      400: ['validation_failed'],
      401: ['unauthenticated'],
      403: ['forbidden'],
      406: ['not_acceptable'],
      422: ['invalid_date', 'invalid_date_range', 'report_too_large']
    })
  }
}

async function answer (
  app: FastifyInstance, request: FastifyRequest, reply: FastifyReply,
  query: ReportDaysQuery & { csvDialect?: CsvDialect | undefined }, creditors: string[] | null
) {
  const format = varyByAccept(request, reply)
  const report = await dailyReport(app.db, reportPeriod(query), creditors, app.config.reportMaxLines)
  if (format === 'json') return report
  return sendTable(reply, reportTable(report), format, { filename: reportFilename(report), dialect: query.csvDialect })
}

/** `/v1/partner/reports/daily`: the key's creditors only. */
export const partnerReportRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/reports/daily', {
    preHandler: app.requirePartner(),
    schema: {
      operationId: 'getPartnerDailyReport',
      tags: ['Partner'],
      summary: 'Daily reconciliation report',
      description: 'Every payment received, refund paid and return of one Asia/Almaty day (or range of days) on the key\'s creditors\' debts, one line each (with its channel and the debt\'s payment code), and totals per creditor and per channel ' +
        'that tie to the ledger\'s entries of those days. ' + DAYS_DESCRIPTION + CSV_DESCRIPTION + ' ' + XLSX_DESCRIPTION + ' Scope: partner.',
      querystring: Type.Object({
        ...ReportDays,
        csvDialect: Type.Optional(CsvDialectQuery)
      }, { additionalProperties: false }),
      response: responses()
    }
  }, async (request, reply) => answer(app, request, reply, request.query, request.principal?.creditors ?? []))
}

/** `/v1/admin/reports/daily`: every creditor, or one. */
export const adminReportRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/reports/daily', {
    preHandler: app.requireScopes('operator'),
    schema: {
      operationId: 'getAdminDailyReport',
      tags: ['Admin: reports'],
      summary: 'Daily reconciliation report',
      description: 'Every payment received, refund paid and return of one Asia/Almaty day (or range of days), one line each (with its channel and the debt\'s payment code), and totals per creditor and per channel that tie to the ledger\'s ' +
        'entries of those days; `creditor` (a creditor id, or a name or alias in any spelling that folds alike) narrows it to one. ' + DAYS_DESCRIPTION + CSV_DESCRIPTION + ' ' + XLSX_DESCRIPTION + ' Scopes: operator, admin.',
      querystring: Type.Object({
        ...ReportDays,
        csvDialect: Type.Optional(CsvDialectQuery),
        creditor: Type.Optional(Type.String({ minLength: 1, maxLength: 200 }))
      }, { additionalProperties: false }),
      response: responses()
    }
  }, async (request, reply) => {
    // a name (any spelling of its name or an alias) or a cred_ id; one naming no creditor: an empty report
    const named = request.query.creditor
    const creditor = named === undefined ? null : await findCreditorByRef(app.db, named)
    const creditors = named === undefined ? null : creditor === null ? [] : [creditor]
    return answer(app, request, reply, request.query, creditors)
  })
}
