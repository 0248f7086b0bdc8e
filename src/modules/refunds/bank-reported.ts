// A refund made at the bank, not by us: reconciliation found a payment we
// held pending already refunded there. It is recorded as a refund of kind
// `bank_reported` (no client request, no revoke.php from us) and completed
// through the same path as our own refunds, so the payment's refundedAmount
// and the books move exactly as for any refund.
//
// Two steps: the row is written in the caller's transaction (with the
// payment's settlement), then completed. A crash in between leaves a pending
// bank_reported refund, which completePendingBankReportedRefunds finishes.
import type { Database, Trx } from '../../db/database.js'
import { uuidv7 } from '../../lib/ids.js'
import type { BankReportedRefunds } from '../payments/reconcile.js'
import { completeRefund } from './execution.js'
import { insertRefund, pendingBankReportedRefunds } from './repository.js'

export async function recordBankReportedRefund (trx: Trx, paymentId: string, amount: bigint): Promise<string> {
  const refund = await insertRefund(trx, { id: uuidv7(), payment_id: paymentId, refund_request_id: null, kind: 'bank_reported', amount })
  return refund.id
}

export async function completeBankReportedRefund (db: Database, refundId: string): Promise<void> {
  await completeRefund(db, refundId, null)
}

/** Finishes bank-reported refunds a crash left pending. */
export async function completePendingBankReportedRefunds (db: Database, limit: number): Promise<number> {
  const pending = await pendingBankReportedRefunds(db, limit)
  for (const id of pending) await completeRefund(db, id, null)
  return pending.length
}

/** What payments' reconciliation is given to record and complete them (it ranks below refunds: jobs/tasks.ts). */
export const bankReportedRefunds: BankReportedRefunds = {
  record: recordBankReportedRefund,
  complete: completeBankReportedRefund,
  completePending: completePendingBankReportedRefunds
}
