// What the bank says happened, applied exactly once, under a row lock on the
// payment (then the debt: always in that order). Shared by the result
// callback and the reconciliation job, so both tell the same story.
import { agencyTermsOf } from '../creditors/service.js'
import { findDebt } from '../debts/service.js'
import { followOutstanding } from '../debts/status.js'
import { receivePayment } from '../ledger/service.js'
import { findPayment, recordEvent, updatePayment } from './repository.js'
import { queuePaymentReceipt } from './mail.js'
import { publishPaymentEvent } from './events.js'
import type { PaymentRow } from './tables.js'
import type { Trx } from '../../db/database.js'

export interface BankSuccess {
  amount: bigint
  currency: string
  bankPaymentId: string | null
  cardMask: string | null
  paidAt: Date
  source: 'callback' | 'reconciliation'
}

export type SuccessOutcome = 'paid' | 'already_paid' | 'mismatch' | 'unknown_payment'

export async function settleSuccess (trx: Trx, paymentId: string, success: BankSuccess): Promise<SuccessOutcome> {
  const payment = await findPayment(trx, paymentId, { forUpdate: true })
  if (payment === undefined) return 'unknown_payment'
  if (payment.status === 'succeeded' || payment.status === 'returned') {
    await recordEvent(trx, payment.id, 'bank_success_repeated', { source: success.source })
    return 'already_paid'
  }
  // A mismatch never marks a payment paid: an operator looks at it.
  if (success.amount !== payment.amount || success.currency !== payment.currency) {
    await updatePayment(trx, payment.id, [payment.status], { needs_review: true, review_reason: 'amount_or_currency_mismatch' })
    await recordEvent(trx, payment.id, 'bank_amount_mismatch', { source: success.source, bankAmount: success.amount.toString(), bankCurrency: success.currency })
    await publishPaymentEvent(trx, 'payment.needs_review', payment.id)
    return 'mismatch'
  }
  const debt = await findDebt(trx, payment.debt_id, { forUpdate: true }) as
    NonNullable<Awaited<ReturnType<typeof findDebt>>>
  // The ledger applies what the debt can absorb; the rest stays on the
  // payment's overpaid account (mirrored in overpaid_amount) and is flagged,
  // so no money leaves the books.
  const { applied, excess: overpaid, outstanding } = await receivePayment(trx, {
    debtId: debt.id,
    paymentId: payment.id,
    amount: payment.amount,
    channel: payment.channel,
    agency: await agencyTermsOf(trx, debt.creditor_id)
  })
  await followOutstanding(trx, debt, outstanding)
  // The bank holds the money: a success after our expiry, or after we gave
  // up on a failed init, still counts.
  const late = payment.status !== 'pending'
  const settled = await updatePayment(trx, payment.id, [payment.status], {
    status: 'succeeded',
    paid_at: success.paidAt,
    card_mask: success.cardMask,
    bank_payment_id: payment.bank_payment_id ?? success.bankPaymentId,
    failure_code: null,
    ...(overpaid > 0n ? { needs_review: true, review_reason: 'overpaid' } : {})
  })
  await recordEvent(trx, payment.id, 'succeeded', {
    source: success.source,
    applied: applied.toString(),
    overpaid: overpaid.toString(),
    ...(late ? { after: payment.status } : {})
  })
  // the receipt is composed from the rows settlement holds: the payment as just written, its locked debt
  await queuePaymentReceipt(trx, settled as PaymentRow, debt)
  await publishPaymentEvent(trx, 'payment.succeeded', payment.id)
  if (overpaid > 0n) await publishPaymentEvent(trx, 'payment.needs_review', payment.id)
  return 'paid'
}

export async function settleFailure (trx: Trx, paymentId: string, failure: { failureCode: string, source: 'callback' | 'reconciliation' }): Promise<PaymentRow | undefined> {
  const payment = await findPayment(trx, paymentId, { forUpdate: true })
  if (payment === undefined) return undefined
  if (payment.status !== 'pending') {
    await recordEvent(trx, payment.id, 'bank_failure_ignored', { source: failure.source, status: payment.status, failureCode: failure.failureCode })
    return payment
  }
  const failed = await updatePayment(trx, payment.id, ['pending'], { status: 'failed', failure_code: failure.failureCode })
  await recordEvent(trx, payment.id, 'failed', { source: failure.source, failureCode: failure.failureCode })
  await publishPaymentEvent(trx, 'payment.failed', payment.id)
  return failed
}

export async function expirePayment (trx: Trx, paymentId: string, reason: string): Promise<void> {
  const expired = await updatePayment(trx, paymentId, ['pending'], { status: 'expired', failure_code: 'expired' })
  if (expired === undefined) return
  await recordEvent(trx, paymentId, 'expired', { reason })
  await publishPaymentEvent(trx, 'payment.expired', paymentId)
}
