import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import { Type } from '@sinclair/typebox'
import type { AppConfig } from '../../app.js'
import { createMailTransport, type MailTransport } from './delivery.js'
import { listSandboxMailbox, MAILBOX_LIMIT } from './service.js'

declare module 'fastify' {
  interface FastifyInstance {
    mailTransport: MailTransport
  }
}

/**
 * The way out for emails: SMTP (MAIL_MODE=smtp), or the development mailbox
 * (MAIL_MODE=sandbox) at GET /sandbox/mailbox, mounted beside the sandbox
 * bank and, like it, outside the OpenAPI document.
 */
export default fp(async function notificationsPlugin (app: FastifyInstance, { config }: { config: AppConfig }) {
  const transport = createMailTransport(config.mail)
  app.decorate('mailTransport', transport)
  app.addHook('onClose', async () => { transport.close() })
  if (config.mail.mode === 'sandbox' && config.role !== 'worker') {
    await app.register(async (sandbox) => {
      sandbox.get<{ Querystring: { limit?: number } }>('/mailbox', {
        schema: {
          hide: true,
          querystring: Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAILBOX_LIMIT, default: 50 })) }, { additionalProperties: false })
        }
      }, async (request, reply) => {
        void reply.header('cache-control', 'no-store')
        return await listSandboxMailbox({ db: app.db, pii: app.pii }, request.query.limit ?? 50)
      })
    }, { prefix: '/sandbox' })
  }
}, { name: 'notifications', dependencies: ['database'] })
