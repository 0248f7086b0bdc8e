import type { ColumnType } from 'kysely'

/** The ledger's tables (migration 0012). Balances are written only by the database's line trigger. */
export type AccountKind = 'receivable' | 'claims' | 'clearing' | 'overpaid' | 'bank' | 'fees' | 'creditor_payable' |
  'commission'
export type EntryKind = 'claim_assigned' | 'claim_adjusted' | 'claim_recalled' | 'payment_received' | 'refund_paid' |
  'payment_returned' | 'settlement' | 'remittance'
export type ReferenceType = 'debt' | 'import' | 'payment' | 'refund' | 'settlement' | 'remittance'

export interface LedgerAccountsTable {
  id: ColumnType<string, string | undefined, never>
  key: ColumnType<string, string, never>
  kind: ColumnType<AccountKind, AccountKind, never>
  currency: ColumnType<string, string | undefined, never>
  debt_id: ColumnType<string | null, string | null | undefined, never>
  payment_id: ColumnType<string | null, string | null | undefined, never>
  /** The creditor's name before migration 0033 (claims accounts from before it); null on later accounts. */
  creditor: ColumnType<string | null, string | null | undefined, never>
  /** A claims account's creditor (migration 0033): its key is `claims:cred_<hex>`; a creditor_payable's (0036). */
  creditor_id: ColumnType<string | null, string | null | undefined, never>
  balance: ColumnType<bigint, never, never>
  created_at: ColumnType<Date, never, never>
}

export interface LedgerEntriesTable {
  id: ColumnType<string, string, never>
  kind: ColumnType<EntryKind, EntryKind, never>
  /** Null exactly for a `settlement` (a payout spans many debts, 0034) and a `remittance` (0036). */
  debt_id: ColumnType<string | null, string | null, never>
  payment_id: ColumnType<string | null, string | null | undefined, never>
  reference_type: ColumnType<ReferenceType, ReferenceType, never>
  reference_id: ColumnType<string, string, never>
  created_at: ColumnType<Date, Date | string | undefined, never>
}

export interface LedgerLinesTable {
  entry_id: ColumnType<string, string, never>
  account_id: ColumnType<string, string, never>
  amount: ColumnType<bigint, bigint, never>
}

export interface LedgerTables {
  ledger_accounts: LedgerAccountsTable
  ledger_entries: LedgerEntriesTable
  ledger_lines: LedgerLinesTable
}
