// The audit module's service: who did what, written in the same transaction as the change.
import type { Handle } from '../../db/database.js'
import type { Actor } from '../../lib/actor.js'
import { insertAudit } from './repository.js'

export type { Actor } from '../../lib/actor.js'

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
  await insertAudit(db, {
    actor_key_id: actor.keyId,
    action: entry.action,
    entity_type: entry.entityType,
    entity_id: entry.entityId,
    request_id: actor.requestId,
    ip: actor.ip,
    details: JSON.stringify(entry.details ?? {})
  })
}
