// The remittances module's table (migration 0036); composed into the one DB in src/db/types.ts.
import type { ColumnType, Selectable } from 'kysely'

/** One transfer of what the agency owes a creditor under an agency agreement; a fact, never changed. */
export interface RemittancesTable {
  id: string
  creditor_id: string
  /** Tiyn, > 0. */
  amount: bigint
  /** The bank transfer's number (or other reference), 1-64 characters. */
  reference: string
  /** The transfer's Asia/Almaty date, YYYY-MM-DD. */
  date: ColumnType<string, string, never>
  /** The `remittance` ledger entry. */
  entry_id: string
  created_by_key_id: string | null
  created_at: ColumnType<Date, never, never>
}

export interface RemittancesTables {
  remittances: RemittancesTable
}

export type RemittanceRow = Selectable<RemittancesTable>
