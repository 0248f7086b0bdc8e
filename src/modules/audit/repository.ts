import type { Handle } from '../../db/database.js'
import type { Insertable } from 'kysely'
import type { AuditLogTable, AuditRow } from './tables.js'


/** Written in the caller's transaction, with the change it records (service.ts: recordAudit). */
export async function insertAudit (db: Handle, row: Insertable<AuditLogTable>): Promise<void> {
  await db.insertInto('audit_log').values(row).execute()
}

export async function listAudit (
  db: Handle, filter: { entityType?: string, entityId?: string, limit: number, startingAfter: bigint | null }
): Promise<AuditRow[]> {
  let query = db.selectFrom('audit_log').selectAll().orderBy('id', 'desc').limit(filter.limit + 1)
  if (filter.entityType !== undefined) query = query.where('entity_type', '=', filter.entityType)
  if (filter.entityId !== undefined) query = query.where('entity_id', '=', filter.entityId)
  if (filter.startingAfter !== null) query = query.where('id', '<', filter.startingAfter)
  return await query.execute()
}
