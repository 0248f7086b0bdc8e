// A channel's daily registry disagrees with one of our payments (DESIGN 17): it is set aside for an operator, as any
// payment whose facts do not fit. Payments own the flag; the channels module, which compares registries, calls this.
import type { Trx } from '../../db/database.js'
import { publishPaymentEvent } from './events.js'
import { findPayment, flagForReview, recordEvent } from './repository.js'

export type RegistryDisagreement = 'registry_missing' | 'registry_amount_mismatch'

/**
 * Flags the payment for review with the registry's reason, unless it already is (its first reason stays, and its
 * event was published then); either way its timeline gets the registry's facts. Returns false for an unknown payment.
 */
export async function flagRegistryDisagreement (
  trx: Trx, paymentId: string, reason: RegistryDisagreement, facts: Record<string, unknown>
): Promise<boolean> {
  const payment = await findPayment(trx, paymentId, { forUpdate: true })
  if (payment === undefined) return false
  await recordEvent(trx, payment.id, reason, facts)
  if (payment.needs_review) return true
  await flagForReview(trx, payment.id, reason)
  await publishPaymentEvent(trx, 'payment.needs_review', payment.id)
  return true
}
