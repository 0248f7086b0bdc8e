import type { Readable } from 'node:stream'
import type { FastifyPluginAsyncTypebox, TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { actorOf } from '../../http/auth.js'
import { DomainError } from '../../lib/errors.js'
import { CSV_MEDIA_TYPES, rawBodyRoutes } from '../../http/media-types.js'
import { cardDataForbidden } from '../../http/card-guard.js'
import { containsCardNumber } from '../../lib/card-data.js'
import { AUTH_PROBLEMS, pageOf, problemResponses } from '../../http/schemas.js'
import { searchIndexes } from '../../http/search.js'
import { getImport } from './import-service.js'
import { importConnections } from './import-pool.js'
import { stageImport, type ContentEncoding } from './import-upload.js'
import { changeDebtStatus, listDebtsPage, lookupDebt } from './service.js'
import type { ClaimPayments } from './claim-payments.js'
import {
  DebtImportSchema, DebtListQuery, DebtLookupSchema, DebtParams, DebtPatchBody, DebtSchema,
  ImportErrorSchema, ImportParams, LookupBody, QueuedImportSchema
} from './schemas.js'

/** A portfolio may arrive gzip-compressed (`Content-Encoding: gzip`), streamed through gunzip; no other coding. */
function contentEncoding (header: string | undefined): ContentEncoding {
  const coding = (header ?? 'identity').trim().toLowerCase()
  if (coding === 'gzip' || coding === 'x-gzip') return 'gzip'
  if (coding === 'identity' || coding === '') return 'identity'
  throw new DomainError('unsupported_media_type', 'Content-Encoding of a portfolio may be gzip or identity')
}

/** The media types of a portfolio upload. */

/** `payments`: what an operator's recall does to the debt's payments (payments/claims.ts `claimPayments`). */
const debtRoutes: FastifyPluginAsyncTypebox<{ payments: ClaimPayments }> = async (app, { payments }) => {
  for (const schema of [DebtLookupSchema, DebtSchema, ImportErrorSchema, DebtImportSchema]) app.addSchema(schema)
  const deps = { db: app.db, pii: app.pii }
  const authProblems = AUTH_PROBLEMS

  app.post('/debts/lookup', {
    config: {
      rateLimit: { max: app.config.lookupRateLimitPerMinute, timeWindow: 60_000 },
      // a contract of 16 Luhn-valid digits is a contract: its debtor must be able to pay
      cardDataFormatted: [{ path: ['body', 'contractNumber'], format: 'contractNumber' }]
    },
    schema: {
      operationId: 'lookupDebt',
      tags: ['Debts'],
      summary: 'Find a debt by contract number and IIN',
      description: 'The client identifies the debt before paying (offer cl. 3). Every miss (unknown contract, wrong IIN, a debt no longer payable) gives the same 404 `debt_not_found`. ' +
        'An IIN with a wrong check digit gives 422 `invalid_iin`. Strictly rate limited per IP, IPv6 per /64 (LOOKUP_RATE_LIMIT_PER_MINUTE) against enumeration; ' +
        'a contract number that sees LOOKUP_FAILURES_PER_CONTRACT misses within LOOKUP_CONTRACT_LOCK_SECONDS answers the same 404 to every lookup, the right IIN included, for LOOKUP_CONTRACT_LOCK_SECONDS.',
      security: [],
      body: LookupBody,
      response: {
        200: Type.Ref(DebtLookupSchema),
        ...problemResponses({ 400: ['validation_failed', 'malformed_json', 'card_data_forbidden'], 404: ['debt_not_found'], 422: ['invalid_iin'], 429: ['rate_limited'] })
      }
    }
  }, async (request) => await lookupDebt(deps, app.config.lookupThrottle, request.body))

  // A portfolio arrives as the raw request body, which the import streams (http/media-types.ts, rawBodyRoutes).
  await rawBodyRoutes(app, CSV_MEDIA_TYPES, async (upload) => {
    // its own connections: a slow upload holds none of the API's (import-pool.ts)
    const imports = importConnections(upload, app.config.databaseUrl, app.config.debtImports.concurrency)
    upload.withTypeProvider<TypeBoxTypeProvider>().post('/admin/debt-imports', {
      preHandler: app.requireScopes('operator'),
      config: {
        // the import decodes gzip itself (import-upload.ts), with the size limit counted uncompressed
        contentEncodings: ['gzip', 'x-gzip'],
        // no total time, which would cut a large file sent steadily: a pace (http/body-time.ts)
        uploadPace: {
          idleMs: app.config.debtImports.idleTimeoutMs,
          minBytesPerSecond: app.config.debtImports.minBytesPerSecond
        }
      },
      schema: {
        operationId: 'createAdminDebtImport',
        tags: ['Admin: debts'],
        summary: 'Import a debt portfolio (CSV)',
        description: 'The request body is the file itself, `Content-Type: text/csv`, UTF-8 with or without BOM, comma or semicolon separated, header ' +
          '`contract_number,debtor_iin,debtor_name,creditor,outstanding[,currency]`; `outstanding` in tenge with up to 2 decimals is the creditor\'s claim (what the debtor owes before anything collected through this service). ' +
          '`Content-Encoding: gzip` is accepted. The file is streamed into a staging table with COPY (names and IINs encrypted on the way) and processed by the worker in batches: poll `GET /v1/admin/debt-imports/{id}`. Rows match known debts by contract number + IIN: an identical row writes nothing, ' +
          'a corrected name or spelling changes descriptive data only, a changed claim posts `claim_adjusted` for the difference (outstanding = claim - net collected, never below zero; a surplus becomes overpaid on the latest payments, flagged for review). ' +
          'Bad rows are reported and never stop the good ones. ' +
          'A row with what looks like a card number in any field is rejected with `card_data_forbidden` and not ' +
          'kept. At most DEBT_IMPORT_CONCURRENCY imports run at once per server: one more is 429 `import_busy` ' +
          '(see Retry-After), before its body is read. The upload has no total time limit but a pace: it may keep ' +
          'the server waiting at most DEBT_IMPORT_IDLE_TIMEOUT_MS at a time, and each byte earns back ' +
          '1/DEBT_IMPORT_MIN_BYTES_PER_SECOND s; slower, it is cut with 408 `request_timeout` and nothing is ' +
          'imported. Scopes: operator, admin.',
        consumes: [...CSV_MEDIA_TYPES],
        body: Type.String({
          format: 'binary',
          description: 'The CSV file itself, as `text/csv` or `application/csv` (UTF-8; gzip with ' +
            '`Content-Encoding: gzip`), streamed as sent and never parsed as JSON'
        }),
        headers: Type.Object({
          'x-file-name': Type.Optional(Type.String({ maxLength: 200, description: 'Original file name, for the report' })),
          'content-encoding': Type.Optional(Type.String({ maxLength: 40, description: '`gzip` for a compressed file (streamed through gunzip; the size limit counts the file uncompressed); any coding other than gzip or identity is 415' }))
        }),
        response: {
          202: QueuedImportSchema,
          ...problemResponses({
            400: ['validation_failed', 'card_data_forbidden'], ...authProblems, 408: ['request_timeout'],
            413: ['payload_too_large'], 415: ['unsupported_media_type'], 422: ['invalid_csv_header', 'invalid_csv'],
            429: ['import_busy']
          })
        }
      }
    }, async (request, reply) => {
      const maxBytes = app.config.debtImportMaxBytes
      if (Number(request.headers['content-length'] ?? 0) > maxBytes) {
        throw new DomainError('payload_too_large', `The file is larger than the limit of ${maxBytes} bytes`)
      }
      const encoding = contentEncoding(request.headers['content-encoding'])
      const fileName = request.headers['x-file-name'] ?? null
      // the file name is kept in the report and the audit log
      if (typeof fileName === 'string' && containsCardNumber(fileName)) throw cardDataForbidden()
      const leave = imports.enter()
      try {
        const deps = { pool: imports.pool, pii: app.pii, piiKeys: app.config.piiKeys }
        const body = request.body as unknown as Readable
        const file = { body, maxBytes, fileName: typeof fileName === 'string' ? fileName : null, encoding }
        const queued = await stageImport(deps, actorOf(request), file)
        return await reply.code(202).send(queued)
      } finally {
        leave()
      }
    })
  })

  app.get('/admin/debt-imports/:id', {
    preHandler: app.requireScopes('operator'),
    schema: {
      operationId: 'getAdminDebtImport',
      tags: ['Admin: debts'],
      summary: 'Progress and report of an import',
      description: 'Status (`queued`, `running`, `completed`, `failed`), row counts and the first 1000 rejected rows with line, column and code. Scopes: operator, admin.',
      params: ImportParams,
      response: { 200: Type.Ref(DebtImportSchema), ...problemResponses({ 400: ['validation_failed'], ...authProblems, 404: ['debt_import_not_found'] }) }
    }
  }, async (request) => await getImport(app.db, request.params.id))

  app.get('/admin/debts', {
    preHandler: app.requireScopes('operator'),
    config: { cardDataFormatted: [{ path: ['query', 'contractNumber'], format: 'contractNumber' }] },
    schema: {
      operationId: 'listAdminDebts',
      tags: ['Admin: debts'],
      summary: 'List debts',
      description: 'Filter by contract number (compared case- and space-insensitively), payment code (the 11 digits ' +
        'printed in letters and used by Kaspi), the debtor\'s `iin` (matched by its blind index: the IIN is never ' +
        'stored in clear), `creditorId` and status; filters combine with AND; cursor pagination. ' +
        'Scopes: operator, admin.',
      querystring: DebtListQuery,
      response: { 200: pageOf(Type.Ref(DebtSchema), 'A page of debts'), ...problemResponses({ 400: ['validation_failed'], ...authProblems }) }
    }
  }, async (request) => {
    const { iin, ...query } = request.query
    return await listDebtsPage(deps, { ...query, ...searchIndexes(app.pii, { iin }) })
  })

  app.patch('/admin/debts/:id', {
    preHandler: app.requireScopes('operator'),
    schema: {
      operationId: 'updateAdminDebt',
      tags: ['Admin: debts'],
      summary: 'Change a debt\'s status',
      description: '`recalled` when the creditor takes the claim back: the ledger posts `claim_recalled` for what is outstanding. Undoing a recall (`active` or `closed`) ' +
        'reinstates the claim as last imported (`claim_adjusted`); the status then follows the outstanding amount (`closed` at zero, `active` above). ' +
        'Between `active` and `closed` the status only follows the outstanding amount: asking for the other is 409 `debt_status_follows_outstanding`. ' +
        'Only `active` debts can be looked up and paid. Audit-logged. Scopes: operator, admin.',
      params: DebtParams,
      body: DebtPatchBody,
      response: { 200: Type.Ref(DebtSchema), ...problemResponses({ 400: ['validation_failed', 'malformed_json'], ...authProblems, 404: ['debt_not_found'], 409: ['debt_status_follows_outstanding'] }) }
    }
  }, async (request) => {
    return await changeDebtStatus({ ...deps, payments }, actorOf(request), request.params.id, request.body.status)
  })
}

export default debtRoutes
