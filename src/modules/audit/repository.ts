import type { Handle } from '../../db/database.js'
import type { AuditRow } from './tables.js'


/** Who did it: the authenticated key, the request and where it came from (null: not kept, a data subject's address is personal data). */
export interface Actor {
  keyId: string | null
  requestId: string
  ip: string | null
}

/** The worker acting on its own schedule. */
export const SYSTEM_ACTOR: Actor = { keyId: null, requestId: 'worker', ip: null }

export interface AuditEntry {
  action: string
  entityType: string
  entityId: string | null
  details?: Record<string, unknown>
}

/** Written in the same transaction as the change it records. */
export async function recordAudit (db: Handle, actor: Actor, entry: AuditEntry): Promise<void> {
  await db.insertInto('audit_log').values({
    actor_key_id: actor.keyId,
    action: entry.action,
    entity_type: entry.entityType,
    entity_id: entry.entityId,
    request_id: actor.requestId,
    ip: actor.ip,
    details: JSON.stringify(entry.details ?? {})
  }).execute()
}

export async function listAudit (db: Handle, filter: { entityType?: string, entityId?: string, limit: number, startingAfter: bigint | null }): Promise<AuditRow[]> {
  let query = db.selectFrom('audit_log').selectAll().orderBy('id', 'desc').limit(filter.limit + 1)
  if (filter.entityType !== undefined) query = query.where('entity_type', '=', filter.entityType)
  if (filter.entityId !== undefined) query = query.where('entity_id', '=', filter.entityId)
  if (filter.startingAfter !== null) query = query.where('id', '<', filter.startingAfter)
  return await query.execute()
}
