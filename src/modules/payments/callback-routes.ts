import formbody from '@fastify/formbody'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { problemResponses } from '../../http/schemas.js'
import { handleBankCallback, type CallbackDeps, type CallbackKind } from './callbacks.js'

/**
 * The acquirer's callbacks: form-encoded in, signed XML out, 200 with the
 * verdict inside (the bank retries a non-200 for two hours). Anyone can
 * reach these URLs, so they are bounded: their own per-IP rate limit, a
 * 16 KB body, and only flat text parameters without NUL (a repeated
 * parameter arrives as an array and is refused with 400 before anything is
 * stored: the bank's form never repeats one).
 */
export const CALLBACK_BODY_LIMIT = 16 * 1024

export const CallbackBody = Type.Record(
  Type.String({ pattern: '^[!-~]{1,100}$' }),
  Type.String({ pattern: '^[^\\u0000]*$' }),
  {
    additionalProperties: false,
    description: 'Flat form parameters: each name 1-100 printable ASCII characters, given once, its value text without NUL',
    examples: [{ pg_order_id: 'pay_0193b3f2a4c07d1e8b5a2f6c9d0e1f23', pg_payment_id: '1000001', pg_amount: '1500.00', pg_currency: 'KZT', pg_result: '1', pg_salt: 'a1b2c3', pg_sig: '0f3c…' }]
  }
)
const VERDICTS: Record<CallbackKind, string> = {
  check: '`rejected` when the payment is not pending, the amount or currency differs, the debt is not active, or the ' +
    'amount does not fit in the outstanding minus what payments already let through hold (each holds its amount ' +
    'until it succeeds, fails or expires).',
  result: '`pg_result=1`: the payment succeeds and the debt\'s balance goes down (an excess is kept as overpaid and ' +
    'flagged); `0`: it fails. A mismatched amount, currency or bank payment id is never marked paid (flagged for ' +
    'review), nor is a success for a payment we hold failed or expired until get_status3.php confirms it.'
}

const callbackRoutes: FastifyPluginAsyncTypebox = async (app) => {
  await app.register(formbody)
  const deps: CallbackDeps = {
    db: app.db,
    pii: app.pii,
    bank: app.bank,
    log: app.log,
    refused: (kind, reason) => { app.metrics.refusedCallback(kind, reason) }
  }
  const Xml = Type.String({ description: '`<response><pg_status>ok|rejected|error</pg_status><pg_description/><pg_salt/><pg_sig/></response>`, signed' })

  for (const kind of ['check', 'result'] as CallbackKind[]) {
    app.post(`/callbacks/bank/${kind}`, {
      config: { rateLimit: { max: app.config.callbackRateLimitPerMinute, timeWindow: 60_000 } },
      bodyLimit: CALLBACK_BODY_LIMIT,
      schema: {
        operationId: kind === 'check' ? 'bankCheckCallback' : 'bankResultCallback',
        tags: ['Bank callbacks'],
        summary: kind === 'check' ? 'The bank asks whether a payment may proceed' : 'The bank reports a payment\'s result',
        description: 'Called by the acquirer (FFIN Payments / Freedom Pay), form-encoded, signed with `pg_sig` over the parameters (script name `' + kind + '`). ' +
          'A bad signature, or a parameter name the bank does not document for this script ' +
          '(the bank signs values, not names), changes nothing and answers `error` (logged with a bounded digest). ' +
          (kind === 'check' ? 'Decided afresh every time it is asked (its only effect, the hold, is never doubled). ' : 'A repeated result gets the identical answer; its effects apply once. ') +
          'Parameters that are not flat text (a name given twice, a NUL) get 400 `validation_failed`; a body over 16 KB 413 `payload_too_large`; ' +
          'more than CALLBACK_RATE_LIMIT_PER_MINUTE calls per minute from one address 429 `rate_limited` with `Retry-After`. ' +
          VERDICTS[kind],
        security: [],
        consumes: ['application/x-www-form-urlencoded'],
        body: CallbackBody,
        response: {
          200: { description: 'Signed XML verdict', content: { 'text/xml': { schema: Xml } } },
          ...problemResponses({ 400: ['validation_failed'], 413: ['payload_too_large'], 415: ['unsupported_media_type'], 429: ['rate_limited'] })
        }
      }
    }, async (request, reply) => {
      const xml = await handleBankCallback(deps, kind, request.body)
      app.metrics.callback(kind, /<pg_status>(\w+)<\/pg_status>/.exec(xml)?.[1] ?? 'unknown')
      return await reply.type('text/xml; charset=utf-8').send(xml)
    })
  }
}

export default callbackRoutes
