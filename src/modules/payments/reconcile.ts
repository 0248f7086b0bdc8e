import type { FastifyBaseLogger } from 'fastify'
import type { Database } from '../../db/database.js'
import { toPublicId } from '../../lib/ids.js'
import { BankProtocolError, BankRejectedError, BankUnavailableError, type BankProvider } from '../../bank/provider.js'
import { paymentsToReconcile, updatePayment, type PaymentRow } from './repository.js'
import { expirePayment, settleFailure, settleSuccess } from './settlement.js'

/**
 * Pending payments past their lifetime, or whose init timed out, are settled
 * by asking the bank (get_status3.php) first: money the bank took is never
 * marked expired. The bank unreachable: try again on the next run.
 */
const INIT_GRACE_SECONDS = 120

export interface ReconcileResult { checked: number, succeeded: number, failed: number, expired: number, skipped: number }

export async function reconcilePayments (deps: { db: Database, bank: BankProvider, log: FastifyBaseLogger }, now = new Date(), batch = 50): Promise<ReconcileResult> {
  const result: ReconcileResult = { checked: 0, succeeded: 0, failed: 0, expired: 0, skipped: 0 }
  for (const payment of await paymentsToReconcile(deps.db, now, INIT_GRACE_SECONDS, batch)) {
    result.checked++
    try {
      const outcome = await reconcileOne(deps, payment, now)
      result[outcome]++
    } catch (error) {
      // Whatever the bank could not tell us now, it may tell the next run.
      if (!(error instanceof BankUnavailableError || error instanceof BankRejectedError || error instanceof BankProtocolError)) throw error
      deps.log.warn({ err: error, paymentId: toPublicId('payment', payment.id) }, 'reconciliation: no answer from the bank, will retry')
      result.skipped++
    }
  }
  return result
}

async function reconcileOne (deps: { db: Database, bank: BankProvider }, payment: PaymentRow, now: Date): Promise<'succeeded' | 'failed' | 'expired' | 'skipped'> {
  const status = await deps.bank.getStatus({ orderId: toPublicId('payment', payment.id) })
  const expired = payment.expires_at.getTime() < now.getTime()
  return await deps.db.transaction().execute(async (trx) => {
    if (status !== null && payment.bank_payment_id === null) {
      await updatePayment(trx, payment.id, ['pending'], { bank_payment_id: status.bankPaymentId })
    }
    if (status !== null && (status.status === 'succeeded' || status.status === 'partially_refunded' || status.status === 'refunded')) {
      await settleSuccess(trx, payment.id, {
        amount: status.amount,
        currency: status.currency,
        bankPaymentId: status.bankPaymentId,
        cardMask: status.cardMask,
        paidAt: status.paidAt ?? now,
        source: 'reconciliation'
      })
      return 'succeeded'
    }
    if (status !== null && (status.status === 'failed' || status.status === 'revoked')) {
      await settleFailure(trx, payment.id, { failureCode: status.failureCode ?? 'declined', source: 'reconciliation' })
      return 'failed'
    }
    if (!expired) return 'skipped'
    await expirePayment(trx, payment.id, status === null ? 'unknown to the bank' : 'still pending at the bank after its lifetime')
    return 'expired'
  })
}
