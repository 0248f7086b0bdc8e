// The refunds module's tables, as its migrations leave them; composed into the one DB in src/db/types.ts.
import type { Selectable } from 'kysely'
import type { Timestamp, Nullable, Defaulted } from '../../db/columns.js'

export type RefundRequestStatus = 'submitted' | 'approved' | 'rejected' | 'completed'
/** `failed` only on the bank's signed refusal; an outcome we do not know is `needs_review`. */
export type RefundStatus = 'pending' | 'succeeded' | 'failed' | 'needs_review'
/** `external`: made in the channel's own cabinet (Kaspi) and recorded by an operator, never sent by us. */
export type RefundKind = 'refund' | 'return' | 'bank_reported' | 'external'

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
  kind: RefundKind
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
  /** An external refund's reference in the channel (a Kaspi cabinet cancellation), set exactly on those (0031). */
  reference: Nullable<string>
  created_at: Timestamp
  completed_at: Nullable<Date>
}

/** Wrong emails given for one payment's refund request, counted in a window (migrations/0026). */
export interface RefundRequestEmailFailuresTable {
  payment_id: string
  failures: number
  window_started_at: Timestamp
  locked_until: Nullable<Date>
  expires_at: Timestamp
}

export interface RefundsTables {
  refund_requests: RefundRequestsTable
  refunds: RefundsTable
  refund_request_email_failures: RefundRequestEmailFailuresTable
}

export type RefundRequestRow = Selectable<RefundRequestsTable>

export type RefundRow = Selectable<RefundsTable>
