import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { pageOf, problemResponses } from '../../http/schemas.js'
import { OutboxEntrySchema, OutboxQuery } from './schemas.js'
import { listOutboxPage } from './service.js'

/** Operators see every email and, above all, the ones that could not be delivered. */
const mailOutboxRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.addSchema(OutboxEntrySchema)
  app.get('/mail-outbox', {
    preHandler: app.requireScopes('operator'),
    schema: {
      operationId: 'listAdminMailOutbox',
      tags: ['Admin: notifications'],
      summary: 'List emails and their delivery',
      description: 'Every email the service queued (receipts, answers to refund requests, privacy messages), newest first. ' +
        '`status=failed` lists those given up after MAIL_MAX_ATTEMPTS attempts (or undeliverable at once), with the mail server\'s last answer. ' +
        'The recipient is masked. Scopes: operator, admin.',
      querystring: OutboxQuery,
      response: { 200: pageOf(Type.Ref(OutboxEntrySchema), 'A page of outbox entries'), ...problemResponses({ 400: ['validation_failed'], 401: ['unauthenticated'], 403: ['forbidden'] }) }
    }
  }, async (request) => await listOutboxPage({ db: app.db, pii: app.pii }, request.query))
}

export default mailOutboxRoutes
