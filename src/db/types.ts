import type { ColumnType, Generated } from 'kysely'

/** Table types, written by hand beside the migrations that create them. */
type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>

export interface ApiKeysTable {
  id: string
  name: string
  prefix: string
  key_hash: string
  scopes: string[]
  created_at: Timestamp
  revoked_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>
  last_used_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>
}

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

export interface OffersTable {
  id: string
  language: string
  version: number
  title: string
  text: string
  sha256: string
  published_at: Timestamp
  published_by_key_id: string | null
}

export interface DB {
  api_keys: ApiKeysTable
  audit_log: AuditLogTable
  offers: OffersTable
}
