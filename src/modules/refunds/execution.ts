import type { FastifyBaseLogger } from 'fastify'
import type { Database } from '../../db/database.js'
import { almatyDate } from '../../lib/calendar.js'
import { fromPublicId, toPublicId } from '../../lib/ids.js'
import { Conflict, NotFound } from '../../http/errors.js'
import type { BankProvider } from '../../bank/provider.js'
import { enqueueJob } from '../../jobs/queue.js'
import { recordAudit, type Actor } from '../audit/repository.js'
import { findDebt } from '../debts/repository.js'
import { followOutstanding } from '../debts/status.js'
import { payBack } from '../ledger/service.js'
import { findPayment, recordEvent, updatePayment, type PaymentRow } from '../payments/repository.js'
import { findRefund, markOverdue, succeededRefunds, updateRefund, updateRefundRequest, type RefundRow } from './repository.js'
import { REFUND_TASK, toRefund } from './service.js'

/**
 * The worker's part of a refund: revoke.php at the bank for the payment's
 * own bank id (the money can only go back to the card it came from), then,
 * in one transaction, the payment's refundedAmount and the debt's balance.
 */
interface Deps { db: Database, bank: BankProvider, log: FastifyBaseLogger }

export async function executeRefund (deps: Deps, refundId: string, attempt: { number: number, last: boolean }): Promise<void> {
  const refund = await findRefund(deps.db, refundId)
  if (refund === undefined || refund.status !== 'pending') return
  const payment = await findPayment(deps.db, refund.payment_id) as PaymentRow
  await updateRefund(deps.db, refund.id, { attempts: refund.attempts + 1 })
  if (payment.bank_payment_id === null) {
    await failRefund(deps.db, refund, 'the payment has no bank payment id')
    return
  }
  try {
    // A retry after an unknown outcome: the bank may have refunded already.
    if (attempt.number > 1) {
      const status = await deps.bank.getStatus({ bankPaymentId: payment.bank_payment_id })
      const recorded = await succeededRefunds(deps.db, payment.id)
      if (status !== null && status.refundedAmount >= recorded + refund.amount) {
        await completeRefund(deps.db, refund.id, null)
        return
      }
    }
    const result = await deps.bank.refund({ bankPaymentId: payment.bank_payment_id, amount: refund.amount })
    if (result.accepted) {
      await completeRefund(deps.db, refund.id, result.refundId ?? null)
    } else {
      await failRefund(deps.db, refund, `the bank refused: ${result.errorCode ?? ''} ${result.description ?? ''}`.trim())
    }
  } catch (error) {
    deps.log.warn({ err: error, refundId: toPublicId('refund', refund.id) }, 'refund attempt failed')
    if (attempt.last) {
      await failRefund(deps.db, refund, error instanceof Error ? error.message : String(error))
      return
    }
    throw error // graphile-worker retries with backoff
  }
}

/** The bank returned the money: record it, raise the debt back, once. */
async function completeRefund (db: Database, refundId: string, bankRefundId: string | null): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const refund = await findRefund(trx, refundId, { forUpdate: true }) as RefundRow
    const payment = await findPayment(trx, refund.payment_id, { forUpdate: true }) as PaymentRow
    if (refund.status !== 'pending') return
    // The ledger gives back overpaid money first; only the rest raises the debt.
    const debt = await findDebt(trx, payment.debt_id, { forUpdate: true })
    let raise = 0n
    if (debt !== undefined) {
      const moved = await payBack(trx, { kind: refund.kind === 'return' ? 'payment_returned' : 'refund_paid', debtId: debt.id, paymentId: payment.id, refundId: refund.id, amount: refund.amount })
      await followOutstanding(trx, debt, moved.outstanding)
      raise = moved.raised
    }
    await updateRefund(trx, refund.id, { status: 'succeeded', completed_at: new Date(), bank_refund_id: bankRefundId, last_error: null })
    await updatePayment(trx, payment.id, [payment.status], {
      refunded_amount: payment.refunded_amount + refund.amount,
      ...(refund.kind === 'return' ? { status: 'returned' } : {})
    })
    if (refund.refund_request_id !== null) await updateRefundRequest(trx, refund.refund_request_id, { open: false })
    await recordEvent(trx, payment.id, refund.kind === 'return' ? 'returned' : 'refunded', { refundId: toPublicId('refund', refund.id), amount: refund.amount.toString(), debtRaisedBy: raise.toString() })
  })
}

async function failRefund (db: Database, refund: RefundRow, reason: string): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await updateRefund(trx, refund.id, { status: 'failed', last_error: reason.slice(0, 500) })
    await recordEvent(trx, refund.payment_id, 'refund_failed', { refundId: toPublicId('refund', refund.id), reason: reason.slice(0, 500) })
  })
}

/** An operator tries a failed refund again. */
export async function retryRefund (db: Database, actor: Actor, publicId: string) {
  const id = fromPublicId('refund', publicId)
  if (id === null) throw new NotFound('refund_not_found', 'No refund with this id')
  return await db.transaction().execute(async (trx) => {
    const refund = await findRefund(trx, id, { forUpdate: true })
    if (refund === undefined) throw new NotFound('refund_not_found', 'No refund with this id')
    if (refund.status !== 'failed') throw new Conflict('refund_not_failed', `Only a failed refund can be retried; this one is ${refund.status}`)
    // Back to pending: the database refuses it if it would now exceed the payment.
    const row = await updateRefund(trx, refund.id, { status: 'pending', attempts: 0, last_error: null })
    await enqueueJob(trx, REFUND_TASK, { refundId: refund.id }, { maxAttempts: 5 })
    await recordAudit(trx, actor, { action: 'refund.retried', entityType: 'refund', entityId: publicId })
    return toRefund(row)
  })
}

/** Daily: approved refunds not completed by their due date are flagged overdue. */
export async function flagOverdueRefunds (db: Database, now = new Date()): Promise<number> {
  return await markOverdue(db, almatyDate(now))
}
