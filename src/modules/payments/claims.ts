// What a change of a debt's claim (an import, an operator's recall) does to the debt's payments: they are locked
// first, in id order, as settlement locks them; money beyond a lowered claim flags them for an operator.
import type { RawBuilder } from 'kysely'
import type { Trx } from '../../db/database.js'
import type { ClaimPayments } from '../debts/claim-payments.js'
import { publishPaymentEvent } from './events.js'
import { flagForReview, lockPaymentRowsOfDebts, lockPaymentRowsOfSelectedDebts, recordEvent } from './repository.js'

/** Locks every payment of these debts (id order): taken before the debts, as settlement does. */
export async function lockPaymentsOfDebts (trx: Trx, debtIds: string[]): Promise<void> {
  if (debtIds.length === 0) return
  await lockPaymentRowsOfDebts(trx, debtIds)
}

/** Locks the payments of the debts this query of debts' tables selects (id order), in one statement. */
export async function lockPaymentsOfSelectedDebts (trx: Trx, debtIds: RawBuilder<unknown>): Promise<void> {
  await lockPaymentRowsOfSelectedDebts(trx, debtIds)
}

/** A lowered claim left money beyond it on these payments: an operator looks at them. */
export async function flagOverpaid (trx: Trx, paymentIds: string[], details: Record<string, unknown>): Promise<void> {
  for (const id of paymentIds) {
    await flagForReview(trx, id, 'overpaid')
    await recordEvent(trx, id, 'overpaid_by_claim_change', details)
    await publishPaymentEvent(trx, 'payment.needs_review', id)
  }
}

/** What debts are given to do it (they rank below payments: app.ts and jobs/tasks.ts pass it). */
export const claimPayments: ClaimPayments = { lockPaymentsOfDebts, lockPaymentsOfSelectedDebts, flagOverpaid }
