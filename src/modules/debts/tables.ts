// The debts module's tables, as its migrations leave them; composed into the one DB in src/db/types.ts.
import type { ColumnType, Selectable } from 'kysely'
import type { Timestamp, Nullable } from '../../db/columns.js'

export interface DebtImportsTable {
  id: string
  status: ColumnType<'queued' | 'running' | 'completed' | 'failed', 'queued' | 'running' | 'completed' | 'failed' | undefined, 'queued' | 'running' | 'completed' | 'failed'>
  file_name: string | null
  file_bytes: bigint
  rows_total: ColumnType<number, number | undefined, number>
  rows_imported: ColumnType<number, number | undefined, number>
  rows_unchanged: ColumnType<number, number | undefined, number>
  rows_adjusted: ColumnType<number, number | undefined, number>
  rows_rejected: ColumnType<number, number | undefined, number>
  errors: ColumnType<
    Array<{ line: number, column: string | null, code: string, message: string }>, string | undefined, string
  >
  /** Creditors this import created for names no creditor had (migration 0033), ids as uuids. */
  creditors_created: ColumnType<Array<{ id: string, name: string }>, string | undefined, string>
  failure_reason: string | null
  created_by_key_id: string | null
  created_at: Timestamp
  started_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>
  finished_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>
}

/**
 * Unlogged staging of an upload (migration 0021): a valid row holds what the debt's write needs, PII encrypted; a
 * rejected one only its error.
 */
export interface DebtImportRowsTable {
  import_id: string
  line: number
  contract_number: string | null
  contract_number_normalized: string | null
  debtor_iin_index: string | null
  debtor_iin_encrypted: string | null
  debtor_name_encrypted: string | null
  creditor: string | null
  claim_amount: bigint | null
  source_hash: string | null
  error_code: string | null
  error_column: string | null
  error_message: string | null
}

export interface DebtsTable {
  id: string
  contract_number: string
  contract_number_normalized: string
  debtor_iin_encrypted: string
  debtor_iin_index: string
  debtor_name_encrypted: string
  /** The creditor as the portfolio row wrote it (descriptive). */
  creditor: string
  /** The creditor's record (migration 0033): the partner scoping's and the ledger's key. */
  creditor_id: string
  /** 10 random digits + a Luhn check digit (migration 0029): drawn by the column's default, never changed. */
  payment_code: ColumnType<string, string | undefined, never>
  currency: ColumnType<string, string | undefined, string>
  /**
   * The claim as the creditor last stated it (descriptive); the outstanding amount is the ledger's receivable balance.
   */
  claim_amount: bigint
  status: ColumnType<'active' | 'closed' | 'recalled', 'active' | 'closed' | 'recalled' | undefined, 'active' | 'closed' | 'recalled'>
  source_hash: string
  import_id: string | null
  created_at: Timestamp
  updated_at: Timestamp
}

export interface LookupContractFailuresTable {
  contract_key: string
  failures: number
  window_started_at: Timestamp
  locked_until: Nullable<Date>
  expires_at: Timestamp
}

export interface DebtsTables {
  debt_imports: DebtImportsTable
  debt_import_rows: DebtImportRowsTable
  debts: DebtsTable
  lookup_contract_failures: LookupContractFailuresTable
}

export type DebtRow = Selectable<DebtsTable> & { outstanding: bigint }

export type DebtImportRow = Selectable<DebtImportsTable>
