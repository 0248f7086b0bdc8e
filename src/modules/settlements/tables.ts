// The settlements module's tables, as migration 0034 leaves them; composed into the one DB in src/db/types.ts.
import type { Selectable } from 'kysely'
import type { Json, Timestamp } from '../../db/columns.js'

export type SettlementChannel = 'card' | 'kaspi'
export type UnmatchedReason = 'unknown_payment' | 'already_settled' | 'amount_mismatch' | 'not_succeeded'

export interface UnmatchedLine {
  line: number
  reference: string
  reason: UnmatchedReason
}

/** One acquirer payout, booked once per channel and payout id, with the answer its upload got. */
export interface SettlementsTable {
  id: string
  channel: SettlementChannel
  payout_id: string
  /** The payout's date as the acquirer wrote it, YYYY-MM-DD. */
  payout_date: string
  /** SHA-256 (hex) of the first file of this payout. */
  file_sha256: string
  lines: number
  matched: number
  /** Tiyn: the matched lines' amounts, fees and amounts less fees. */
  gross: bigint
  fees: bigint
  net: bigint
  unmatched: Json<UnmatchedLine[]>
  /** The `settlement` ledger entry; null when no line matched (nothing was booked). */
  entry_id: string | null
  created_by_key_id: string | null
  created_at: Timestamp
}

/** A payment paid out: at most one row per payment, ever. */
export interface PaymentSettlementsTable {
  payment_id: string
  settlement_id: string
  line: number
  amount: bigint
  fee: bigint
}

export interface SettlementsTables {
  settlements: SettlementsTable
  payment_settlements: PaymentSettlementsTable
}

export type SettlementRow = Selectable<SettlementsTable>
