import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { pageOf, paginationQuery, problemResponses, Timestamp, NullableString } from '../../http/schemas.js'
import { toPublicId } from '../../lib/ids.js'
import { listAudit } from './repository.js'
import type { AuditRow } from './tables.js'
import { toPage } from '../../lib/page.js'

const AuditEntrySchema = Type.Object({
  id: Type.String({ pattern: '^\\d+$', description: 'Sequence number; use as cursor' }),
  actorKeyId: NullableString,
  action: Type.String({ examples: ['offer.published'] }),
  entityType: Type.String(),
  entityId: NullableString,
  requestId: NullableString,
  ip: NullableString,
  // stored as text (a bigint), answered as an integer like every other amount
  details: Type.Object({ amount: Type.Optional(Type.Integer({ description: 'Integer tiyn (refund approvals, returns)' })) }, { additionalProperties: true }),
  createdAt: Timestamp
}, { $id: 'AuditEntry', additionalProperties: false })

function toEntry (row: AuditRow) {
  return {
    id: row.id.toString(),
    actorKeyId: row.actor_key_id === null ? null : toPublicId('apiKey', row.actor_key_id),
    action: row.action,
    entityType: row.entity_type,
    entityId: row.entity_id,
    requestId: row.request_id,
    ip: row.ip,
    details: row.details,
    createdAt: row.created_at.toISOString()
  }
}

const auditRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.addSchema(AuditEntrySchema)
  app.get('/audit-log', {
    preHandler: app.requireScopes('operator'),
    schema: {
      operationId: 'listAdminAuditLog',
      tags: ['Admin: audit'],
      summary: 'Read the audit log',
      description: 'Every back-office action, newest first. The log is append-only: the database refuses updates and deletes. Scopes: operator, admin.',
      querystring: Type.Object({
        entityType: Type.Optional(Type.String({ maxLength: 50 })),
        entityId: Type.Optional(Type.String({ maxLength: 100 })),
        ...paginationQuery('^\\d{1,18}$')
      }, { additionalProperties: false }),
      response: { 200: pageOf(Type.Ref(AuditEntrySchema), 'A page of audit entries'), ...problemResponses({ 400: ['validation_failed'], 401: ['unauthenticated'], 403: ['forbidden'] }) }
    }
  }, async (request) => {
    const limit = request.query.limit ?? 20
    const rows = await listAudit(app.db, {
      entityType: request.query.entityType,
      entityId: request.query.entityId,
      limit,
      startingAfter: request.query.startingAfter === undefined ? null : BigInt(request.query.startingAfter)
    })
    return toPage(rows, limit, (shown) => shown.map(toEntry))
  })
}

export default auditRoutes
