// A channel's registry or payout disagrees with one of our payments (DESIGN 17, 18): it is set aside for an
// operator, as any payment whose facts do not fit. Payments own the flag; the channels module, which compares
// registries, and the settlements module, which books payouts, call this.
import type { Trx } from '../../db/database.js'
import { publishPaymentEvent } from './events.js'
import { findPayment, flagForReview, markSettled, recordEvent } from './repository.js'

export type RegistryDisagreement = 'registry_missing' | 'registry_amount_mismatch'

/** A payout line naming this payment was not booked (the settlement's `unmatched[].reason`, prefixed). */
export type PayoutDisagreement = 'settlement_already_settled' | 'settlement_amount_mismatch' | 'settlement_not_succeeded'

/**
 * Flags the payment for review with the registry's reason, unless it already is (its first reason stays, and its
 * event was published then); either way its timeline gets the registry's facts. Returns false for an unknown payment.
 */
export async function flagRegistryDisagreement (
  trx: Trx, paymentId: string, reason: RegistryDisagreement | PayoutDisagreement, facts: Record<string, unknown>
): Promise<boolean> {
  const payment = await findPayment(trx, paymentId, { forUpdate: true })
  if (payment === undefined) return false
  await recordEvent(trx, payment.id, reason, facts)
  if (payment.needs_review) return true
  await flagForReview(trx, payment.id, reason)
  await publishPaymentEvent(trx, 'payment.needs_review', payment.id)
  return true
}

/** The same for a payout's line: flagged, its timeline told which settlement and line. */
export async function flagPayoutDisagreement (
  trx: Trx, paymentId: string, reason: PayoutDisagreement, facts: Record<string, unknown>
): Promise<boolean> {
  return await flagRegistryDisagreement(trx, paymentId, reason, facts)
}

/**
 * The channel paid these succeeded payments out: `settled_at` set once (the settlements module holds the facts;
 * this mirror keeps the unsettled ones in a small index) and a `settled` event on each timeline. Returns how many
 * were marked: fewer than asked means one was settled before or is no longer succeeded.
 */
export async function markPaymentsSettled (
  trx: Trx, payments: Array<{ id: string, settlementId: string }>, at: Date
): Promise<number> {
  if (payments.length === 0) return 0
  const marked = await markSettled(trx, payments.map((p) => p.id), at)
  for (const payment of payments) await recordEvent(trx, payment.id, 'settled', { settlementId: payment.settlementId })
  return marked
}
