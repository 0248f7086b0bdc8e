// The creditors module's tables (migration 0033); composed into the one DB in src/db/types.ts.
import type { ColumnType, Selectable } from 'kysely'

export type AgreementKind = 'assignment' | 'agency'

export interface CreditorsTable {
  id: ColumnType<string, string | undefined, never>
  name: string
  aliases: ColumnType<string[], string[] | undefined, string[]>
  bin: ColumnType<string | null, string | null | undefined, string | null>
  agreement_kind: ColumnType<AgreementKind, AgreementKind | undefined, AgreementKind>
  /** The agency's commission under an agency agreement, basis points (0 under assignment). */
  commission_bps: ColumnType<number, number | undefined, number>
  created_at: ColumnType<Date, never, never>
  updated_at: ColumnType<Date, Date | undefined, Date>
}

/** The folded form (lib/creditor-names.ts) of every creditor's name and aliases: one creditor per name. */
export interface CreditorNamesTable {
  key: string
  creditor_id: string
}

export interface CreditorsTables {
  creditors: CreditorsTable
  creditor_names: CreditorNamesTable
}

export type CreditorRow = Selectable<CreditorsTable>
