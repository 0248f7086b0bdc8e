// The payments module's tables, as its migrations leave them; composed into the one DB in src/db/types.ts.
import type { ColumnType, Generated, Selectable } from 'kysely'
import type { Timestamp, Nullable, Defaulted } from '../../db/columns.js'

export type PaymentStatus = 'pending' | 'succeeded' | 'failed' | 'expired' | 'returned'

export type PaymentChannel = 'card' | 'kaspi'

export interface PaymentsTable {
  id: string
  /** Card payments only: a Kaspi payment has no acceptance (migration 0029). */
  acceptance_id: string | null
  channel: Defaulted<PaymentChannel>
  /** Kaspi's transaction id: set exactly on Kaspi payments, unique. */
  kaspi_txn_id: Nullable<string>
  debt_id: string
  amount: bigint
  currency: string
  status: Defaulted<PaymentStatus>
  refunded_amount: Defaulted<bigint>
  overpaid_amount: Defaulted<bigint>
  bank_payment_id: Nullable<string>
  redirect_url: Nullable<string>
  return_url: Nullable<string>
  card_mask: Nullable<string>
  failure_code: Nullable<string>
  needs_review: Defaulted<boolean>
  review_reason: Nullable<string>
  /** The payer's blind indexes: card payments only (Kaspi does not tell us who paid). */
  ip_index: string | null
  iin_index: string | null
  email_index: string | null
  /** The payer's phone (E.164), card payments made after migration 0038; the back office searches by it. */
  phone_index: Nullable<string>
  created_at: Timestamp
  updated_at: Timestamp
  expires_at: ColumnType<Date, Date | string, Date | string>
  paid_at: Nullable<Date>
  /** SHA-256 (hex) of the client secret; null for payments made before it existed. */
  client_secret_hash: Nullable<string>
  /** When the bank's check let it through: a pending payment with it holds its amount against the debt. */
  check_passed_at: Nullable<Date>
  /** When reconciliation next asks the bank; how many times it has asked. */
  next_check_at: Nullable<Date>
  check_attempts: Defaulted<number>
  /** When the channel's payout of it was booked (the settlements module's payment_settlements row; migration 0034). */
  settled_at: Nullable<Date>
}

export interface PaymentEventsTable {
  id: Generated<bigint>
  payment_id: string
  type: string
  details: ColumnType<Record<string, unknown>, string | undefined, never>
  created_at: Timestamp
}

export interface BankCallbacksTable {
  id: Generated<bigint>
  kind: 'check' | 'result'
  payment_id: string | null
  order_id: string | null
  signature_valid: boolean
  dedupe_key: string | null
  raw_encrypted: string
  reply_status: string
  reply_description: string
  reply_xml: string
  received_at: Timestamp
}

export interface PaymentRefusalsTable {
  id: Generated<bigint>
  acceptance_id: string | null
  reason: string
  amount: bigint
  ip_index: string
  iin_index: string
  email_index: string
  created_at: Timestamp
}

/** Kaspi's check/pay protocol: one row per paid transaction id, with the answer every repetition receives. */
export interface KaspiTransactionsTable {
  txn_id: string
  /** Our id of the transaction, as Kaspi keeps it (from the sequence kaspi_prv_txn_id). */
  prv_txn_id: ColumnType<bigint, bigint | undefined, never>
  account: string
  sum: bigint
  txn_date: Nullable<Date>
  payment_id: string
  result: number
  answer: string
  created_at: Timestamp
}

export interface PaymentsTables {
  payments: PaymentsTable
  payment_events: PaymentEventsTable
  bank_callbacks: BankCallbacksTable
  payment_refusals: PaymentRefusalsTable
  kaspi_transactions: KaspiTransactionsTable
}

export type PaymentRow = Selectable<PaymentsTable>

export type PaymentEventRow = Selectable<PaymentEventsTable>

export type BankCallbackRow = Selectable<BankCallbacksTable>
