// The sandbox bank's tables (migrations/0003_sandbox_bank.ts, 0009), kept out of
// src/db/types.ts: they are the bank's ledger, not ours. int8 columns read
// as bigint with the app's type parser and as text without it, so rows are
// mapped through BigInt()/String() in repository.ts either way.
import type { ColumnType, Generated } from 'kysely'
import type { Database } from '../../db/database.js'

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>
type Int8 = ColumnType<bigint | string, bigint, bigint>

export const SANDBOX_PAYMENT_STATUSES = ['pending', 'processing', 'paid', 'failed'] as const
export type SandboxPaymentStatus = typeof SANDBOX_PAYMENT_STATUSES[number]

export interface SandboxBankPaymentsTable {
  id: Generated<bigint | string>
  merchant_id: string
  order_id: string
  amount: Int8
  currency: string
  description: string
  request_params: ColumnType<Record<string, string>, string, string>
  status: ColumnType<SandboxPaymentStatus, SandboxPaymentStatus | undefined, SandboxPaymentStatus>
  card_mask: string | null
  card_brand: string | null
  failure_code: string | null
  failure_description: string | null
  refunded_amount: ColumnType<bigint | string, bigint | undefined, bigint>
  created_at: Timestamp
  expires_at: Timestamp
  paid_at: NullableTimestamp
  finished_at: NullableTimestamp
}

export interface SandboxBankRefundsTable {
  id: Generated<bigint | string>
  payment_id: bigint
  amount: bigint
  created_at: Timestamp
}

export const CALLBACK_KINDS = ['result'] as const
export type CallbackKind = typeof CALLBACK_KINDS[number]

/** A result callback to deliver, retried by the poller (migrations/0009_sandbox_bank_honest.ts). */
export interface SandboxBankCallbacksTable {
  id: Generated<bigint | string>
  payment_id: bigint | string
  kind: CallbackKind
  url: string
  /** Unsigned and without personal data: pg_salt and pg_sig are added per attempt. */
  params: ColumnType<Record<string, string>, string, never>
  attempts: ColumnType<number, number | undefined, number>
  next_attempt_at: Timestamp
  delivered_at: NullableTimestamp
  gave_up_at: NullableTimestamp
  last_error: string | null
  created_at: Timestamp
}

export const FAULT_SCRIPTS = ['init_payment', 'get_status3', 'revoke', 'result_callback'] as const
export type FaultScript = typeof FAULT_SCRIPTS[number]
export const FAULT_MODES = ['timeout', 'error', 'http_500', 'apply_then_timeout', 'refuse'] as const
export type FaultMode = typeof FAULT_MODES[number]

export interface SandboxBankFaultsTable {
  id: Generated<bigint | string>
  script: FaultScript
  mode: FaultMode
  remaining: number
  created_at: Timestamp
}

export interface SandboxBankTables {
  sandbox_bank_payments: SandboxBankPaymentsTable
  sandbox_bank_refunds: SandboxBankRefundsTable
  sandbox_bank_callbacks: SandboxBankCallbacksTable
  sandbox_bank_faults: SandboxBankFaultsTable
}

export type SandboxDb = Database

/** A payment as the sandbox bank knows it. */
export interface SandboxPayment {
  id: string
  merchantId: string
  orderId: string
  amount: bigint
  currency: string
  description: string
  /** init_payment.php's parameters as received, less the payer's phone, email and IP (never stored). */
  params: Record<string, string>
  status: SandboxPaymentStatus
  cardMask: string | null
  cardBrand: string | null
  failureCode: string | null
  failureDescription: string | null
  refundedAmount: bigint
  createdAt: Date
  expiresAt: Date
  paidAt: Date | null
}
