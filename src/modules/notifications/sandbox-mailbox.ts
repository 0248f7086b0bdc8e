// The development mailbox (MAIL_MODE=sandbox): GET /sandbox/mailbox lists what would have been sent. Mounted by the
// composition root (app.ts) in sandbox mode only, beside the sandbox bank and, like it, outside the OpenAPI document.
import type { FastifyInstance } from 'fastify'
import { Type } from '@sinclair/typebox'
import { listSandboxMailbox, MAILBOX_LIMIT } from './service.js'

export async function sandboxMailbox (sandbox: FastifyInstance): Promise<void> {
  sandbox.get<{ Querystring: { limit?: number } }>('/mailbox', {
    schema: {
      hide: true,
      querystring: Type.Object({
        limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAILBOX_LIMIT, default: 50 }))
      }, { additionalProperties: false })
    }
  }, async (request, reply) => {
    void reply.header('cache-control', 'no-store')
    return await listSandboxMailbox({ db: sandbox.db, pii: sandbox.pii }, request.query.limit ?? 50)
  })
}
