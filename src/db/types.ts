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

export interface DebtImportsTable {
  id: string
  status: ColumnType<'queued' | 'running' | 'completed' | 'failed', 'queued' | 'running' | 'completed' | 'failed' | undefined, 'queued' | 'running' | 'completed' | 'failed'>
  file_name: string | null
  file_bytes: bigint
  rows_total: ColumnType<number, number | undefined, number>
  rows_imported: ColumnType<number, number | undefined, number>
  rows_unchanged: ColumnType<number, number | undefined, number>
  rows_rejected: ColumnType<number, number | undefined, number>
  errors: ColumnType<Array<{ line: number, column: string | null, code: string, message: string }>, string | undefined, string>
  failure_reason: string | null
  created_by_key_id: string | null
  created_at: Timestamp
  started_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>
  finished_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>
}

export interface DebtImportRowsTable {
  import_id: string
  line: number
  contract_number_normalized: string | null
  debtor_iin_index: string | null
  payload: string | null
  error_code: string | null
  error_column: string | null
  error_message: string | null
  outcome: 'imported' | 'unchanged' | 'rejected' | null
}

export interface DebtsTable {
  id: string
  contract_number: string
  contract_number_normalized: string
  debtor_iin_encrypted: string
  debtor_iin_index: string
  debtor_name_encrypted: string
  creditor: string
  currency: ColumnType<string, string | undefined, string>
  outstanding: bigint
  status: ColumnType<'active' | 'closed' | 'recalled', 'active' | 'closed' | 'recalled' | undefined, 'active' | 'closed' | 'recalled'>
  source_hash: string
  import_id: string | null
  created_at: Timestamp
  updated_at: Timestamp
}

export interface DB {
  api_keys: ApiKeysTable
  audit_log: AuditLogTable
  offers: OffersTable
  debt_imports: DebtImportsTable
  debt_import_rows: DebtImportRowsTable
  debts: DebtsTable
}
