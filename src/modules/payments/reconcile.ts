// Reconciliation, as Hyperswitch's PSync and Kill Bill's Janitor do it: a
// pending payment is asked about at the bank (get_status3.php) on a
// schedule kept on the payment itself: RECONCILE_AFTER_SECONDS after it
// started (at once after a timed-out init), then with a doubling backoff
// capped at MAX_WAIT_SECONDS, and at its lifetime before anything expires
// it: money the bank took is never marked expired, and a payer whose
// result callback was lost (our crash, the network) is credited within
// about RECONCILE_AFTER_SECONDS. Runs take the earliest due first and push
// each one asked behind the others, so stuck payments never starve new
// ones; a flagged payment (needsReview) is an operator's and is skipped.
// A run is bounded: at most `batch` payments and about RUN_BUDGET_MS of
// bank calls; the rest are due again at the next run (every minute).
import type { FastifyBaseLogger } from 'fastify'
import type { Database, Trx } from '../../db/database.js'
import { toPublicId } from '../../lib/ids.js'
import { BankError, type BankProvider, type PaymentStatusResult } from '../../bank/provider.js'
import { claimPaymentsToReconcile, findPayment, recordEvent, updatePayment } from './repository.js'
import { flagBankPaymentIdMismatch } from './bank-payment-id.js'
import { expirePayment, settleFailure, settleSuccess } from './settlement.js'
import { publishPaymentEvent } from './events.js'
import type { PaymentRow } from './tables.js'

export const DEFAULT_RECONCILE_AFTER_SECONDS = 120
const MAX_WAIT_SECONDS = 3600
const BATCH = 50
const CHUNK = 10
const RUN_BUDGET_MS = 45_000

/**
 * Refunds the bank reports (made in its back office while we held the payment pending): the refunds module records
 * and completes them (refunds/bank-reported.ts, `bankReportedRefunds`). It ranks above payments, so the caller gives
 * them here (docs/architecture.md, "Layers").
 */
export interface BankReportedRefunds {
  /** Writes the refund in the payment's transaction; returns its id. */
  record: (trx: Trx, paymentId: string, amount: bigint) => Promise<string>
  /** Completes it after that transaction committed. */
  complete: (db: Database, refundId: string) => Promise<void>
  /** Finishes those a crash left pending between the two. */
  completePending: (db: Database, limit: number) => Promise<number>
}

/**
 * `signal`: aborted when the process stops; the scan ends after the payment in hand (the rest are asked at their next
 * check).
 */
export interface ReconcileDeps {
  db: Database
  bank: BankProvider
  log: FastifyBaseLogger
  refunds: BankReportedRefunds
  reconcileAfterSeconds?: number
  signal?: AbortSignal
}
export interface ReconcileResult {
  checked: number
  succeeded: number
  failed: number
  expired: number
  flagged: number
  skipped: number
}
type Outcome = 'succeeded' | 'failed' | 'expired' | 'flagged' | 'skipped'

export async function reconcilePayments (
  deps: ReconcileDeps, now = new Date(), batch = BATCH
): Promise<ReconcileResult> {
  const result: ReconcileResult = { checked: 0, succeeded: 0, failed: 0, expired: 0, flagged: 0, skipped: 0 }
  await deps.refunds.completePending(deps.db, batch)
  const schedule = {
    firstSeconds: deps.reconcileAfterSeconds ?? DEFAULT_RECONCILE_AFTER_SECONDS,
    maxSeconds: MAX_WAIT_SECONDS
  }
  const started = performance.now()
  const stopping = (): boolean => deps.signal?.aborted === true
  while (result.checked < batch && performance.now() - started < RUN_BUDGET_MS && !stopping()) {
    const claimed = await claimPaymentsToReconcile(deps.db, now, Math.min(CHUNK, batch - result.checked), schedule)
    for (const payment of claimed) {
      if (stopping()) break
      result.checked++
      result[await reconcileGuarded(deps, payment, now)]++
    }
    if (claimed.length < CHUNK) break
  }
  return result
}

async function reconcileGuarded (deps: ReconcileDeps, payment: PaymentRow, now: Date): Promise<Outcome> {
  try {
    return await reconcileOne(deps, payment, now)
  } catch (error) {
    // Whatever the bank could not tell us now, it may tell the next check (already scheduled).
    if (!(error instanceof BankError)) throw error
    deps.log.warn({ err: error, paymentId: toPublicId('payment', payment.id), attempts: payment.check_attempts }, 'reconciliation: no answer from the bank, will ask again')
    return 'skipped'
  }
}

const PAID = new Set(['succeeded', 'partially_refunded', 'refunded'])

async function reconcileOne (deps: ReconcileDeps, claimed: PaymentRow, now: Date): Promise<Outcome> {
  const status = await deps.bank.getStatus({ orderId: toPublicId('payment', claimed.id) })
  let refundToComplete: string | null = null
  const outcome = await deps.db.transaction().execute(async (trx): Promise<Outcome> => {
    const payment = await findPayment(trx, claimed.id, { forUpdate: true })
    // settled by a callback meanwhile, or flagged: nothing to do
    if (payment === undefined || payment.status !== 'pending' || payment.needs_review) return 'skipped'
    if (status !== null && payment.bank_payment_id === null) {
      await updatePayment(trx, payment.id, ['pending'], { bank_payment_id: status.bankPaymentId })
    }
    if (status !== null && PAID.has(status.status)) {
      if (await flagBankPaymentIdMismatch(trx, payment.id, status.bankPaymentId, 'reconciliation')) return 'flagged'
      const settled = await settleSuccess(trx, payment.id, {
        amount: status.amount,
        currency: status.currency,
        bankPaymentId: status.bankPaymentId,
        cardMask: status.cardMask,
        paidAt: status.paidAt ?? now,
        source: 'reconciliation'
      })
      if (settled !== 'paid') return 'flagged'
      if (status.refundedAmount <= 0n) return 'succeeded'
      refundToComplete = await refundedAtBank(trx, deps.refunds, payment, status)
      return 'flagged'
    }
    if (status !== null && (status.status === 'failed' || status.status === 'revoked')) {
      if (await flagBankPaymentIdMismatch(trx, payment.id, status.bankPaymentId, 'reconciliation')) return 'flagged'
      await settleFailure(trx, payment.id, { failureCode: status.failureCode ?? 'declined', source: 'reconciliation' })
      return 'failed'
    }
    // still pending at the bank, or unknown to it: ask again at the next check, unless its lifetime is over
    if (payment.expires_at.getTime() > now.getTime()) return 'skipped'
    await expirePayment(trx, payment.id, status === null ? 'unknown to the bank' : 'still pending at the bank after its lifetime')
    return 'expired'
  })
  if (refundToComplete !== null) await deps.refunds.complete(deps.db, refundToComplete)
  return outcome
}

/**
 * The bank took the money and has given some or all of it back while we
 * still held the payment pending (a refund made in the bank's back office,
 * say). Settled as paid (done by the caller), the refund recorded as the
 * bank reports it, and flagged: an operator finds out why.
 */
async function refundedAtBank (
  trx: Parameters<typeof settleSuccess>[0],
  refunds: BankReportedRefunds,
  payment: PaymentRow,
  status: PaymentStatusResult
): Promise<string> {
  // the database refuses refunds beyond the payment; a bank reporting more is flagged all the same
  const amount = status.refundedAmount < payment.amount ? status.refundedAmount : payment.amount
  const refundId = await refunds.record(trx, payment.id, amount)
  await updatePayment(trx, payment.id, ['succeeded'], { needs_review: true, review_reason: 'refunded_at_bank' })
  await recordEvent(trx, payment.id, 'refunded_at_bank', { bankRefundedAmount: status.refundedAmount.toString(), bankStatus: status.status, refundId: toPublicId('refund', refundId) })
  await publishPaymentEvent(trx, 'payment.needs_review', payment.id)
  return refundId
}
