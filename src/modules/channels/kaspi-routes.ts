// Kaspi's check/pay channel (DESIGN 17, docs/kaspi.md): `GET /v1/channels/kaspi`, mounted by app.ts unless
// KASPI_MODE=off. Every request Kaspi can make is answered 200 `application/json` with the protocol's answer, within
// the deadline and never a problem document: a bad parameter is `result` 5 with a comment (kaspi-request.ts), an
// unexpected failure 5 for a check and 4 (in progress, repeat) for a pay, whose outcome we may not know (STYLE 18:
// the repeat finds the stored answer, or pays once). Only three refusals are HTTP's: an address outside
// KASPI_ALLOWED_IPS (403 `forbidden`, before anything runs), more than KASPI_RATE_LIMIT_PER_MINUTE calls a minute from
// one address (429), and the channel turned off (404, no route).
import type { FastifyBaseLogger } from 'fastify'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { Static } from '@sinclair/typebox'
import { problemResponses } from '../../http/schemas.js'
import { allowAddresses } from '../../http/address-allowlist.js'
import { formatMinorUnits } from '../../lib/money.js'
import { KASPI_RESULT, kaspiAnswerText, kaspiCheck, kaspiPay } from '../payments/kaspi.js'
import type { PiiCipher } from '../../lib/crypto.js'
import type { Database } from '../../db/database.js'
import { isRefusal, readKaspiRequest, type KaspiRequest } from './kaspi-request.js'
import { KaspiAnswer, KaspiQuery } from './kaspi-schemas.js'

interface Deps { db: Database, pii: PiiCipher, log: FastifyBaseLogger }

/** What a check or pay says when it could not finish: a check may simply be asked again; a pay must be repeated. */
function unfinished (request: KaspiRequest): string {
  return request.command === 'pay'
    ? kaspiAnswerText({ txn_id: request.txnId, result: KASPI_RESULT.inProgress, sum: formatMinorUnits(request.sum), comment: 'In progress, repeat the request' })
    : kaspiAnswerText({ txn_id: request.txnId, result: KASPI_RESULT.other, sum: '0.00', comment: 'Temporarily unavailable, try again' })
}

/** What a failure may say in the log: its SQLSTATE or errno and message, never a statement's parameters. */
function causeOf (err: unknown): { code: unknown, message: string } {
  return { code: (err as { code?: unknown }).code, message: err instanceof Error ? err.message : String(err) }
}

/**
 * The answer to a valid request, within `deadlineMs`: a pay still running then is answered `in progress` and left to
 * finish (its transaction commits, and Kaspi's repeat gets the stored answer, or waits for it and gets it).
 */
async function answer (
  deps: Deps, request: KaspiRequest, deadlineMs: number
): Promise<{ text: string, late: boolean }> {
  const work = request.command === 'pay' ? kaspiPay(deps, request) : kaspiCheck(deps, request)
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<null>((resolve) => { timer = setTimeout(() => { resolve(null) }, deadlineMs) })
  try {
    const text = await Promise.race([work, deadline])
    if (text !== null) return { text, late: false }
    // the work goes on unwatched: its failure is logged, never an unhandled rejection
    work.catch((err: unknown) => { deps.log.warn({ cause: causeOf(err), txnId: request.txnId }, 'kaspi: a late pay failed') })
    return { text: unfinished(request), late: true }
  } catch (err) {
    // the database, most likely: nothing a parameter could cause, and never a 500 to Kaspi
    deps.log.error({ cause: causeOf(err), command: request.command, txnId: request.txnId },
      'kaspi: the request could not be served')
    return { text: unfinished(request), late: false }
  } finally {
    clearTimeout(timer)
  }
}

const kaspiChannelRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { allowedIps, rateLimitPerMinute, deadlineMs } = app.config.kaspi
  const deps: Deps = { db: app.db, pii: app.pii, log: app.log }
  const fromKaspi = allowAddresses(allowedIps, 'Kaspi')

  app.get('/channels/kaspi', {
    // a GET that pays (Kaspi's protocol): no HEAD twin that would pay too
    exposeHeadRoute: false,
    // the schema documents the parameters; the handler reads them, and a bad one is `result` 5, never a 400
    attachValidation: true,
    onRequest: (request, reply, done) => { fromKaspi(request, reply, done) },
    // Kaspi's traffic comes from a few addresses: a per-IP limit of its own, generous, not the browsers' one. A
    // database failure is an answer of the protocol, never a 503.
    config: { rateLimit: { max: rateLimitPerMinute, timeWindow: 60_000 }, database: false },
    schema: {
      operationId: 'kaspiCheckPay',
      tags: ['Channels'],
      summary: 'Kaspi check/pay',
      description: 'Called by Kaspi (Kaspi.kz payments), not by browsers or partners: Kaspi\'s check/pay protocol, ' +
        'with the debt\'s payment code as `account` (docs/kaspi.md: how an agency turns it on). ' +
        'Always 200 `application/json` with the protocol\'s answer, never a problem document: a missing or malformed ' +
        'parameter is `result` 5 with a `comment`. `check` answers the outstanding amount and the masked debtor ' +
        'name, the creditor and the contract number, never the IIN; `result` 1 for an unknown code, 2 for a ' +
        'recalled debt, 3 when nothing is outstanding. `pay` credits `sum` once per `txn_id`: the same txn_id again, ' +
        'at once, in parallel or days later, gets the first answer byte for byte and books nothing; a pay for a debt ' +
        'that closed or was recalled meanwhile is credited all the same (Kaspi has taken the money) and the excess ' +
        'held as overpaid, flagged for review. Every answer leaves within `KASPI_DEADLINE_MS` (10 s by default; ' +
        'Kaspi waits 15 s): a pay still running then is answered `result` 4 and completes, and its repeat gets the ' +
        'stored answer. No API key: only the addresses in `KASPI_ALLOWED_IPS` are answered (the client address after ' +
        '`TRUST_PROXY`), any other gets 403 `forbidden`; more than `KASPI_RATE_LIMIT_PER_MINUTE` calls a minute from ' +
        'one address 429. Mounted only with `KASPI_MODE=live` or `sandbox` (`off`: 404).',
      // the address allowlist is the protection (KASPI_ALLOWED_IPS): Kaspi's protocol carries no credential
      security: [],
      querystring: KaspiQuery,
      response: {
        200: { description: 'The protocol\'s answer', content: { 'application/json': { schema: KaspiAnswer } } },
        ...problemResponses({ 403: ['forbidden'], 404: ['route_not_found'] })
      }
    }
  }, async (request, reply) => {
    const read = readKaspiRequest(request.query)
    const { text, late } = isRefusal(read) ? { text: read.answer, late: false } : await answer(deps, read, deadlineMs)
    const result = (JSON.parse(text) as { result: number }).result
    // no PII: the account is a payment code, and the debtor's name is never logged
    request.log.info({ command: read.command, txnId: read.txnId, result, ...(late ? { late } : {}) }, 'kaspi: answered')
    app.metrics.kaspiRequest(read.command, result)
    // the answer's text as stored, byte for byte: a string with a JSON type is sent as it is, never re-serialized
    return await reply.type('application/json; charset=utf-8').send(text as unknown as Static<typeof KaspiAnswer>)
  })
}

export default kaspiChannelRoutes
