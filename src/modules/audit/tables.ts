// The audit module's tables, as its migrations leave them; composed into the one DB in src/db/types.ts.
import type { ColumnType, Generated, Selectable } from 'kysely'
import type { Timestamp } from '../../db/columns.js'

export interface AuditLogTable {
  id: Generated<bigint>
  actor_key_id: string | null
  action: string
  entity_type: string
  entity_id: string | null
  request_id: string | null
  ip: string | null
  details: ColumnType<Record<string, unknown>, string | undefined, never>
  created_at: Timestamp
}

export interface AuditTables {
  audit_log: AuditLogTable
}

export type AuditRow = Selectable<AuditLogTable>
