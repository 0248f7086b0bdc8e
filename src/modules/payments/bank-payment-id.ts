// docs/states.md: a success that names another bank payment than the one
// the bank gave us for this order is a fact that does not fit (a second
// charge, a confused bank, a forged order id replayed): it is flagged for an
// operator, never silently accepted. Called under the payment's row lock,
// before settleSuccess, by the result callback and by reconciliation alike.
// A payment whose init timed out has no bank id yet: the bank's is taken.
import { findPayment, recordEvent, updatePayment } from './repository.js'
import { publishPaymentEvent } from './events.js'
import type { Trx } from '../../db/database.js'

export async function flagBankPaymentIdMismatch (trx: Trx, paymentId: string, bankPaymentId: string | null, source: 'callback' | 'reconciliation'): Promise<boolean> {
  const payment = await findPayment(trx, paymentId, { forUpdate: true })
  if (payment === undefined || bankPaymentId === null || payment.bank_payment_id === null ||
    payment.bank_payment_id === bankPaymentId) return false
  await updatePayment(trx, payment.id, [payment.status], { needs_review: true, review_reason: 'bank_payment_id_mismatch' })
  await recordEvent(trx, payment.id, 'bank_payment_id_mismatch', { source, bankPaymentId: bankPaymentId.slice(0, 100), ours: payment.bank_payment_id })
  await publishPaymentEvent(trx, 'payment.needs_review', payment.id)
  return true
}
