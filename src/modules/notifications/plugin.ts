// The way out for emails: decorates `mailTransport`, SMTP (MAIL_MODE=smtp) or the development mailbox
// (MAIL_MODE=sandbox, read at GET /sandbox/mailbox: sandbox-mailbox.ts, mounted by app.ts in that mode only).
import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import type { AppConfig } from '../../config.js'
import { createMailTransport, type MailTransport } from './delivery.js'

declare module 'fastify' {
  interface FastifyInstance {
    mailTransport: MailTransport
  }
}

export default fp(async function notificationsPlugin (app: FastifyInstance, { config }: { config: AppConfig }) {
  const transport = createMailTransport(config.mail)
  app.decorate('mailTransport', transport)
  app.addHook('onClose', async () => { transport.close() })
}, { name: 'notifications' })
