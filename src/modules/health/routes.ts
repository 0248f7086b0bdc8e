import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { sql } from 'kysely'
import { ServiceUnavailable } from '../../http/errors.js'
import { problemResponses } from '../../http/schemas.js'
import { pendingMigrations } from '../../db/migrator.js'

const Status = Type.Object({
  status: Type.Literal('ok'),
  checks: Type.Optional(Type.Object({ database: Type.Literal('ok'), migrations: Type.Literal('ok') }, { additionalProperties: false }))
}, { additionalProperties: false, examples: [{ status: 'ok' }] })

const healthRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/live', {
    config: { rateLimit: false },
    schema: {
      operationId: 'getLiveness',
      tags: ['Health'],
      summary: 'Liveness',
      description: 'The process is up and serving HTTP. Does not touch the database.',
      security: [],
      response: { 200: Status }
    }
  }, async () => ({ status: 'ok' as const }))

  app.get('/ready', {
    config: { rateLimit: false },
    schema: {
      operationId: 'getReadiness',
      tags: ['Health'],
      summary: 'Readiness',
      description: 'The database answers and every migration is applied; 503 problem+json otherwise, so a load balancer keeps traffic away.',
      security: [],
      response: { 200: Status, ...problemResponses({ 503: ['database_unavailable', 'migrations_pending'] }) }
    }
  }, async (request) => {
    try {
      await sql`select 1`.execute(app.db)
    } catch (err) {
      request.log.warn({ err }, 'readiness: database unavailable')
      throw new ServiceUnavailable('database_unavailable', 'The database does not answer')
    }
    const pending = await pendingMigrations(app.db)
    if (pending.length > 0) throw new ServiceUnavailable('migrations_pending', `${pending.length} migration(s) not applied yet`)
    return { status: 'ok' as const, checks: { database: 'ok' as const, migrations: 'ok' as const } }
  })
}

export default healthRoutes
