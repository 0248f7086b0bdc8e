import type { ColumnType, Generated } from 'kysely'
import type { LedgerDB } from '../modules/ledger/tables.js'

/** Table types, written by hand beside the migrations that create them. */
type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>

export interface ApiKeysTable {
  id: string
  name: string
  prefix: string
  key_hash: string
  scopes: string[]
  /** A partner key's creditors (migration 0018); empty for every other key. */
  creditors: ColumnType<string[], string[] | undefined, string[]>
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
  rows_adjusted: ColumnType<number, number | undefined, number>
  rows_rejected: ColumnType<number, number | undefined, number>
  errors: ColumnType<Array<{ line: number, column: string | null, code: string, message: string }>, string | undefined, string>
  failure_reason: string | null
  created_by_key_id: string | null
  created_at: Timestamp
  started_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>
  finished_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>
}

/** Unlogged staging of an upload (migration 0021): a valid row holds what the debt's write needs, PII encrypted; a rejected one only its error. */
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
  creditor: string
  currency: ColumnType<string, string | undefined, string>
  /** The claim as the creditor last stated it (descriptive); the outstanding amount is the ledger's receivable balance. */
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

type Nullable<T> = ColumnType<T | null, T | null | undefined, T | null>

type Defaulted<T> = ColumnType<T, T | undefined, T>

export interface AcceptancesTable {
  id: string
  offer_id: string
  offer_version: number
  offer_sha256: string
  debt_id: string
  payer_full_name_encrypted: string
  payer_email_encrypted: string
  payer_email_index: string
  payer_phone_encrypted: string
  ip_encrypted: string
  ip_index: string
  user_agent: string | null
  personal_data_consent: boolean
  accepted_at: Timestamp
  consent_expires_at: Timestamp
  payable_until: Timestamp
  consent_withdrawn_at: Nullable<Date>
}

export type PaymentStatus = 'pending' | 'succeeded' | 'failed' | 'expired' | 'returned'

export interface PaymentsTable {
  id: string
  acceptance_id: string
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
  ip_index: string
  iin_index: string
  email_index: string
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

export type RefundRequestStatus = 'submitted' | 'approved' | 'rejected' | 'completed'
/** `failed` only on the bank's signed refusal; an outcome we do not know is `needs_review`. */
export type RefundStatus = 'pending' | 'succeeded' | 'failed' | 'needs_review'

export interface RefundRequestsTable {
  id: string
  payment_id: string
  amount: bigint
  reason_encrypted: string
  status: Defaulted<RefundRequestStatus>
  open: Defaulted<boolean>
  response_text: Nullable<string>
  decided_at: Nullable<Date>
  decided_by_key_id: Nullable<string>
  due_at: Nullable<string>
  overdue: Defaulted<boolean>
  created_at: Timestamp
}

export interface RefundsTable {
  id: string
  payment_id: string
  refund_request_id: string | null
  kind: 'refund' | 'return' | 'bank_reported'
  amount: bigint
  status: Defaulted<RefundStatus>
  attempts: Defaulted<number>
  last_error: Nullable<string>
  bank_refund_id: Nullable<string>
  /** When revoke.php was last sent without a definite answer being recorded yet. */
  sent_at: Nullable<Date>
  review_reason: Nullable<string>
  /** offer cl. 8: a return's written reason (migration 0016), encrypted: reasons name people. */
  reason_encrypted: Nullable<string>
  created_at: Timestamp
  completed_at: Nullable<Date>
}

export interface DB extends LedgerDB {
  api_keys: ApiKeysTable
  audit_log: AuditLogTable
  offers: OffersTable
  debt_imports: DebtImportsTable
  debt_import_rows: DebtImportRowsTable
  debts: DebtsTable
  lookup_contract_failures: LookupContractFailuresTable
  acceptances: AcceptancesTable
  payments: PaymentsTable
  payment_events: PaymentEventsTable
  bank_callbacks: BankCallbacksTable
  payment_refusals: PaymentRefusalsTable
  refund_requests: RefundRequestsTable
  refunds: RefundsTable
}
