import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { sql } from 'kysely'
import { databaseUnavailable, DATABASE_RETRY_AFTER_SECONDS, DomainError } from '../../lib/errors.js'
import { problemResponses, StringEnum } from '../../http/schemas.js'
import { pendingMigrations } from '../../db/migrator.js'

const Live = Type.Object({
  status: Type.Literal('ok')
}, { additionalProperties: false, examples: [{ status: 'ok' }] })

const Ready = Type.Object({
  status: Type.Literal('ok'),
  bank: StringEnum(['live', 'sandbox'], { description: '`sandbox`: the built-in test bank takes the payments (BANK_MODE); never in production' }),
  checks: Type.Object({ database: Type.Literal('ok'), migrations: Type.Literal('ok') }, { additionalProperties: false })
}, { additionalProperties: false, examples: [{ status: 'ok', bank: 'live', checks: { database: 'ok', migrations: 'ok' } }] })

const healthRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/live', {
    config: { rateLimit: false, database: false },
    schema: {
      operationId: 'getLiveness',
      tags: ['Health'],
      summary: 'Liveness',
      description: 'The process is up and serving HTTP. Does not touch the database.',
      security: [],
      response: { 200: Live }
    }
  }, async () => ({ status: 'ok' as const }))

  app.get('/ready', {
    config: { rateLimit: false },
    schema: {
      operationId: 'getReadiness',
      tags: ['Health'],
      summary: 'Readiness',
      description: 'The database answers and every migration is applied; 503 problem+json otherwise, so a load balancer keeps traffic away. `bank` says which bank takes the payments.',
      security: [],
      response: { 200: Ready, ...problemResponses({ 503: ['database_unavailable', 'migrations_pending'] }) }
    }
  }, async (request) => {
    let pending: string[]
    try {
      await sql`select 1`.execute(app.db)
      pending = await pendingMigrations(app.db)
    } catch (err) {
      request.log.warn({ cause: { code: (err as { code?: unknown }).code, message: (err as Error).message } }, 'readiness: database unavailable')
      throw databaseUnavailable()
    }
    if (pending.length > 0) {
      throw new DomainError('migrations_pending', `${pending.length} migration(s) not applied yet`, {
        facts: { retryAfterSeconds: DATABASE_RETRY_AFTER_SECONDS }
      })
    }
    return { status: 'ok' as const, bank: app.config.bank.mode, checks: { database: 'ok' as const, migrations: 'ok' as const } }
  })
}

export default healthRoutes
