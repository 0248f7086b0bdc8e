// What a change of a debt's claim (an import, an operator's recall) does to the debt's payments: they are locked
// first, in id order, as settlement locks them; money beyond a lowered claim flags them for an operator.
import type { Trx } from '../../db/database.js'
import { publishPaymentEvent } from './events.js'
import { flagForReview, lockPaymentRowsOfDebts, recordEvent } from './repository.js'

/** Locks every payment of these debts (id order): taken before the debts, as settlement does. */
export async function lockPaymentsOfDebts (trx: Trx, debtIds: string[]): Promise<void> {
  if (debtIds.length === 0) return
  await lockPaymentRowsOfDebts(trx, debtIds)
}

/** A lowered claim left money beyond it on these payments: an operator looks at them. */
export async function flagOverpaid (trx: Trx, paymentIds: string[], details: Record<string, unknown>): Promise<void> {
  for (const id of paymentIds) {
    await flagForReview(trx, id, 'overpaid')
    await recordEvent(trx, id, 'overpaid_by_claim_change', details)
    await publishPaymentEvent(trx, 'payment.needs_review', id)
  }
}
