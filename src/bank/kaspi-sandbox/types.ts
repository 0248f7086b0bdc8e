// The Kaspi sandbox's table (migrations/0032_sandbox_kaspi.ts), kept out of src/db/types.ts's modules: it is Kaspi's
// record of what it paid, not ours. int8 reads as bigint with the app's type parser and as text without it, so
// repository.ts maps it through BigInt() either way.
import type { ColumnType } from 'kysely'

export interface SandboxKaspiPaymentsTable {
  txn_id: string
  txn_date: ColumnType<Date, Date, never>
  account: string
  sum: ColumnType<bigint | string, bigint, never>
  /** false: the fault `skipPay` kept the pay from reaching us; Kaspi's registry lists it all the same. */
  delivered: boolean
  created_at: ColumnType<Date, Date | undefined, never>
}

export interface SandboxKaspiTables {
  sandbox_kaspi_payments: SandboxKaspiPaymentsTable
}

/** A transaction of the sandbox's registry. */
export interface KaspiRegistryRow {
  txnId: string
  txnDate: Date
  account: string
  /** tiyn */
  sum: bigint
}
