// get_status3.php's pg_payment_status onto our closed union.
//
// What the bank's documentation shows: 'success' for a paid payment, and a
// refund does NOT change it: a fully refunded payment still reads 'success'
// with pg_refund_amount = -amount. So refunds are told by the amount.
// The other words are those seen from the live API by integrators and in
// the older Platron/PayBox protocol this one grew from; none of them may
// ever read as paid.
//
//   success, ok                    -> succeeded | partially_refunded | refunded (by refunded amount)
//   refunded                       -> refunded
//   revoked                        -> revoked (the bank cancelled it, e.g. a merchant 'rejected' a result)
//   new, pending, process, waiting -> pending
//   error, failed, rejected, incomplete, canceled, cancelled, expired -> failed
//   anything else                  -> null: unknown, the caller must not act on it
import type { BankPaymentStatus } from './provider.js'

const PENDING = new Set(['new', 'pending', 'process', 'waiting'])
const FAILED = new Set(['error', 'failed', 'rejected', 'incomplete', 'canceled', 'cancelled', 'expired'])

export function toBankPaymentStatus (
  paymentStatus: string, amount: bigint, refundedAmount: bigint
): BankPaymentStatus | null {
  const word = paymentStatus.trim().toLowerCase()
  if (word === 'success' || word === 'ok') {
    if (refundedAmount <= 0n) return 'succeeded'
    return refundedAmount >= amount ? 'refunded' : 'partially_refunded'
  }
  if (word === 'refunded') return 'refunded'
  if (word === 'revoked') return 'revoked'
  if (PENDING.has(word)) return 'pending'
  if (FAILED.has(word)) return 'failed'
  return null
}
