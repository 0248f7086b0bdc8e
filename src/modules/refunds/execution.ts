// The worker's part of a refund (docs/states.md, an unknown outcome is a state, not a failure): an outcome is
// never guessed. Every attempt first asks the bank (get_status3.php) what it
// has refunded for the payment and compares that with our own books; only
// when they agree does revoke.php go out, for the payment's own bank id (the
// money can only go back to the card it came from). `failed` is only the
// bank's signed refusal; whatever stays unknown after the last attempt is
// `needs_review`. All refunds of a payment share one job queue, and a refund
// whose revoke.php got no definite answer holds the others back until it is
// settled, so at most one refund per payment is in flight at the bank.
import type { FastifyBaseLogger } from 'fastify'
import type { Database, Trx } from '../../db/database.js'
import { almatyDate } from '../../lib/calendar.js'
import { fromPublicId, toPublicId } from '../../lib/ids.js'
import { DomainError } from '../../lib/errors.js'
import type { BankProvider } from '../../bank/provider.js'
import { recordAudit, type Actor } from '../audit/service.js'
import { findDebt } from '../debts/service.js'
import { followOutstanding } from '../debts/status.js'
import { payBack } from '../ledger/service.js'
import { findPayment, recordPaymentEvent, recordRefundPaid } from '../payments/service.js'
import { findRefund, markOverdue, orphanedPendingRefunds, refundsOfPayment, succeededRefunds, updateRefund, updateRefundRequest } from './repository.js'
import { queueRefund, refundJobKey } from './queue.js'
import { toAdminRefund } from './views.js'
import { queueRefundPaid } from './mail.js'
import { publishPaymentEvent } from '../payments/events.js'
import { publishRefundEvent } from './events.js'
import type { PaymentRow } from '../payments/tables.js'
import type { RefundRow } from './tables.js'

interface Deps { db: Database, bank: BankProvider, log: FastifyBaseLogger, maxAttempts: number }

export type RefundDecision = 'send' | 'covered' | 'review'

/**
 * What to do with a refund of `amount`, given the bank's refunded total for
 * the payment, the sum of our succeeded refunds, and the sum of our other
 * refunds sent with an outcome we never learnt (needs_review):
 * - the bank's total is ours: nothing of this refund reached the card, send it;
 * - the bank's total covers ours, everything in doubt and this refund: it
 *   was done (a lost answer, a crash), complete it without calling again;
 * - anything else (less than ours, or a total we cannot attribute): review.
 */
export function decideRefund (
  input: { bankRefunded: bigint, succeeded: bigint, amount: bigint, inDoubt: bigint }
): RefundDecision {
  if (input.bankRefunded === input.succeeded) return 'send'
  if (input.bankRefunded >= input.succeeded + input.amount + input.inDoubt) return 'covered'
  return 'review'
}

function reasonOf (error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

/** How long a refund waits for another refund of its payment to be settled: 1, 2, 4 … 60 s. */
function waitDelayMs (waits: number): number {
  return Math.min(60, 2 ** Math.min(waits, 6)) * 1000
}

export async function executeRefund (
  deps: Deps, refundId: string, attempt: { number: number, last: boolean, waits?: number }
): Promise<void> {
  const refund = await findRefund(deps.db, refundId)
  if (refund === undefined || refund.status !== 'pending') return
  const payment = await findPayment(deps.db, refund.payment_id) as PaymentRow
  const others = (await refundsOfPayment(deps.db, payment.id)).filter((r) => r.id !== refund.id)
  // Another refund of this payment went to the bank and its answer is still
  // unknown (its job waits for a retry): it is in flight, so this one waits.
  const inFlight = others.find((r) => r.status === 'pending' && r.sent_at !== null)
  if (inFlight !== undefined) {
    const waits = attempt.waits ?? 0
    deps.log.info({ refundId: toPublicId('refund', refund.id), waitingFor: toPublicId('refund', inFlight.id) }, 'refund waits for another refund of its payment')
    await queueRefund(deps.db, refund, {
      maxAttempts: deps.maxAttempts,
      runAt: new Date(Date.now() + waitDelayMs(waits)),
      waits: waits + 1
    })
    return
  }
  await updateRefund(deps.db, refund.id, { attempts: refund.attempts + 1 })
  if (payment.bank_payment_id === null) {
    await reviewRefund(deps.db, refund.id, 'the payment has no bank payment id: nothing was sent')
    return
  }
  try {
    const status = await deps.bank.getStatus({ bankPaymentId: payment.bank_payment_id })
    if (status === null) {
      await reviewRefund(deps.db, refund.id, 'get_status3.php does not know the payment')
      return
    }
    const inDoubt = others.filter((r) => r.status === 'needs_review' && r.sent_at !== null).reduce((sum, r) => sum + r.amount, 0n)
    const succeeded = await succeededRefunds(deps.db, payment.id)
    const decision = decideRefund({ bankRefunded: status.refundedAmount, succeeded, amount: refund.amount, inDoubt })
    const facts = `the bank has refunded ${status.refundedAmount}, our succeeded refunds ${succeeded}, in doubt ${inDoubt}, this refund ${refund.amount}`
    if (decision === 'covered') {
      deps.log.info({ refundId: toPublicId('refund', refund.id), facts }, 'refund found done at the bank')
      await completeRefund(deps.db, refund.id, null)
      return
    }
    if (decision === 'review') {
      await reviewRefund(deps.db, refund.id, `the bank's refunded total does not fit ours: ${facts}`)
      return
    }
    // Remembered before the call: a crash during it leaves the refund in doubt.
    await updateRefund(deps.db, refund.id, { sent_at: new Date() })
    const result = await deps.bank.refund({ bankPaymentId: payment.bank_payment_id, amount: refund.amount })
    if (result.accepted) {
      await completeRefund(deps.db, refund.id, result.refundId ?? null)
    } else {
      await failRefund(deps.db, refund, `the bank refused: ${result.errorCode ?? ''} ${result.description ?? ''}`.trim())
    }
  } catch (error) {
    deps.log.warn({ err: error, refundId: toPublicId('refund', refund.id) }, 'refund attempt: outcome unknown')
    if (attempt.last) {
      await reviewRefund(deps.db, refund.id, `outcome unknown after the last attempt: ${reasonOf(error)}`)
      return
    }
    // graphile-worker retries with backoff; the retry asks the bank first
    await updateRefund(deps.db, refund.id, { last_error: reasonOf(error).slice(0, 500) })
    throw error
  }
}

/** The bank returned the money: record it, raise the debt back, once. */
export async function completeRefund (db: Database, refundId: string, bankRefundId: string | null): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const refund = await findRefund(trx, refundId, { forUpdate: true }) as RefundRow
    const payment = await findPayment(trx, refund.payment_id, { forUpdate: true }) as PaymentRow
    if (refund.status !== 'pending') return
    await payOut(trx, refund, payment, bankRefundId)
  })
}

/**
 * A pending refund's money has left (the bank's, or the channel's cabinet): the ledger entry, the refund succeeded,
 * the payment's refunded total, the payer's email, the timeline and the events, in the caller's transaction with the
 * refund and its payment locked.
 */
export async function payOut (
  trx: Trx, refund: RefundRow, payment: PaymentRow, bankRefundId: string | null
): Promise<RefundRow> {
  // The ledger gives back overpaid money first; only the rest raises the debt.
  const debt = await findDebt(trx, payment.debt_id, { forUpdate: true })
  let raise = 0n
  if (debt !== undefined) {
    const moved = await payBack(trx, { kind: refund.kind === 'return' ? 'payment_returned' : 'refund_paid', debtId: debt.id, paymentId: payment.id, refundId: refund.id, amount: refund.amount, channel: payment.channel })
    await followOutstanding(trx, debt, moved.outstanding)
    raise = moved.raised
  }
  const paid = await updateRefund(trx, refund.id, { status: 'succeeded', completed_at: new Date(), bank_refund_id: bankRefundId, last_error: null })
  await recordRefundPaid(trx, payment, refund.amount, refund.kind)
  if (refund.refund_request_id !== null) await updateRefundRequest(trx, refund.refund_request_id, { open: false, status: 'completed' })
  // a Kaspi payer is Kaspi's customer: we have no email, and Kaspi tells its own customer
  if (payment.acceptance_id !== null) await queueRefundPaid(trx, refund, payment)
  await recordPaymentEvent(trx, payment.id, refund.kind === 'return' ? 'returned' : 'refunded', { refundId: toPublicId('refund', refund.id), amount: refund.amount.toString(), debtRaisedBy: raise.toString(), ...(refund.reference === null ? {} : { reference: refund.reference }) })
  await publishRefundEvent(trx, 'refund.succeeded', refund.id)
  if (refund.kind === 'return') await publishPaymentEvent(trx, 'payment.returned', payment.id)
  return paid
}

/** The bank's signed refusal: nothing moved, so the amount is free again. */
async function failRefund (db: Database, refund: RefundRow, reason: string): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await updateRefund(trx, refund.id, { status: 'failed', last_error: reason.slice(0, 500), sent_at: null, review_reason: null })
    await recordPaymentEvent(trx, refund.payment_id, 'refund_failed', { refundId: toPublicId('refund', refund.id), reason: reason.slice(0, 500) })
    await publishRefundEvent(trx, 'refund.failed', refund.id)
  })
}

/** We do not know, or the bank's facts do not fit: an operator looks; the amount stays reserved. */
async function reviewRefund (db: Database, refundId: string, reason: string): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const refund = await findRefund(trx, refundId, { forUpdate: true }) as RefundRow
    if (refund.status !== 'pending') return
    await updateRefund(trx, refund.id, { status: 'needs_review', review_reason: reason.slice(0, 500), last_error: reason.slice(0, 500) })
    await recordPaymentEvent(trx, refund.payment_id, 'refund_needs_review', { refundId: toPublicId('refund', refund.id), reason: reason.slice(0, 500) })
  })
}

/**
 * An operator tries a `failed` or `needs_review` refund again. It goes back
 * to pending in its payment's queue; the worker asks the bank first, as on
 * every attempt, so a refund that did reach the card is completed, never sent twice.
 */
export async function retryRefund (deps: { db: Database, refundMaxAttempts: number }, actor: Actor, publicId: string) {
  const id = fromPublicId('refund', publicId)
  if (id === null) throw new DomainError('refund_not_found', 'No refund with this id')
  return await deps.db.transaction().execute(async (trx) => {
    const refund = await findRefund(trx, id, { forUpdate: true })
    if (refund === undefined) throw new DomainError('refund_not_found', 'No refund with this id')
    if (refund.status !== 'failed' && refund.status !== 'needs_review') {
      throw new DomainError('refund_not_failed', `Only a failed or needs_review refund can be retried; this one is ${refund.status}`)
    }
    // Back to pending: the database refuses it if it would now exceed the payment.
    const row = await updateRefund(trx, refund.id, { status: 'pending', attempts: 0, last_error: null, review_reason: null })
    await queueRefund(trx, refund, { maxAttempts: deps.refundMaxAttempts })
    await recordPaymentEvent(trx, refund.payment_id, 'refund_retried', { refundId: publicId, from: refund.status })
    await recordAudit(trx, actor, { action: 'refund.retried', entityType: 'refund', entityId: publicId, details: { from: refund.status } })
    return toAdminRefund(row)
  })
}

/**
 * A pending refund no job will run again (the process died during its last
 * attempt): its outcome is unknown, so it becomes needs_review.
 */
export async function sweepOrphanedRefunds (db: Database): Promise<number> {
  const ids = await orphanedPendingRefunds(db, refundJobKey(''))
  for (const id of ids) await reviewRefund(db, id, 'the worker stopped during the last attempt: outcome unknown')
  return ids.length
}

/** Daily: approved refunds not completed by their due date are flagged overdue. */
export async function flagOverdueRefunds (db: Database, now = new Date()): Promise<number> {
  return await markOverdue(db, almatyDate(now))
}
