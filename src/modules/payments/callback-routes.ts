import formbody from '@fastify/formbody'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { problemResponses } from '../../http/schemas.js'
import { handleBankCallback, type CallbackKind } from './callbacks.js'

/**
 * The acquirer's callbacks: form-encoded in, signed XML out, always 200 with
 * the verdict inside (the bank retries a non-200 for two hours).
 */
const callbackRoutes: FastifyPluginAsyncTypebox = async (app) => {
  await app.register(formbody)
  const deps = { db: app.db, pii: app.pii, secretKey: app.config.bank.secretKey, log: app.log }
  const Xml = Type.String({ description: '`<response><pg_status>ok|rejected|error</pg_status><pg_description/><pg_salt/><pg_sig/></response>`, signed' })

  for (const kind of ['check', 'result'] as CallbackKind[]) {
    app.post(`/callbacks/bank/${kind}`, {
      config: { rateLimit: false },
      schema: {
        operationId: kind === 'check' ? 'bankCheckCallback' : 'bankResultCallback',
        tags: ['Bank callbacks'],
        summary: kind === 'check' ? 'The bank asks whether a payment may proceed' : 'The bank reports a payment\'s result',
        description: 'Called by the acquirer (FFIN Payments / Freedom Pay), form-encoded, signed with `pg_sig` over the parameters (script name `' + kind + '`). ' +
          'A bad signature changes nothing and answers `error`. A repeated callback gets the identical answer; its effects apply once. ' +
          (kind === 'check' ? '`rejected` when the payment is not pending, the amount or currency differs, or the debt cannot take it.' : '`pg_result=1`: the payment succeeds and the debt\'s balance goes down (an excess is kept as overpaid and flagged); `0`: it fails. A mismatched amount is never marked paid.'),
        security: [],
        consumes: ['application/x-www-form-urlencoded'],
        body: Type.Record(Type.String(), Type.Union([Type.String(), Type.Array(Type.String())]), {
          examples: [{ pg_order_id: 'pay_0193b3f2a4c07d1e8b5a2f6c9d0e1f23', pg_payment_id: '1000001', pg_amount: '1500.00', pg_currency: 'KZT', pg_result: '1', pg_salt: 'a1b2c3', pg_sig: '0f3c…' }]
        }),
        response: { 200: { description: 'Signed XML verdict', content: { 'text/xml': { schema: Xml } } }, ...problemResponses({ 415: ['unsupported_media_type'] }) }
      }
    }, async (request, reply) => {
      const xml = await handleBankCallback(deps, kind, request.body)
      return await reply.type('text/xml; charset=utf-8').send(xml)
    })
  }
}

export default callbackRoutes
