// A refund made in the channel's own cabinet (DESIGN 17): a Kaspi payment is cancelled in Kaspi's partner cabinet,
// Kaspi gives its customer the money back, and an operator records here what happened there. Nothing is sent to any
// bank: the refund is `external` and succeeds at once, through the same payout as a refund the bank confirmed (the
// ledger's `refund_paid` on the channel's clearing account, the payment's refunded total, `refund.succeeded`).
//
// Never above what is refundable: the payment is locked first, so two records at once take turns and the second sees
// the first (refunds_within_payment, migration 0007, holds the same in the database); a reference is recorded once
// per payment (a unique index, migration 0031).
import { isUniqueViolation, type Database } from '../../db/database.js'
import { fromPublicId, toPublicId, uuidv7 } from '../../lib/ids.js'
import { DomainError } from '../../lib/errors.js'
import { recordAudit, type Actor } from '../audit/service.js'
import { findPayment } from '../payments/service.js'
import { paymentNotFound } from '../payments/views.js'
import { payOut } from './execution.js'
import { committedRefunds, findExternalRefund, insertRefund } from './repository.js'
import type { ExternalRefundInput } from './schemas.js'
import { toAdminRefund } from './views.js'

function alreadyRecorded (reference: string): DomainError {
  return new DomainError('external_refund_already_recorded',
    `A refund with the reference ${JSON.stringify(reference)} is already recorded for this payment`)
}

export async function recordExternalRefund (
  deps: { db: Database }, actor: Actor, publicId: string, input: ExternalRefundInput
): Promise<ReturnType<typeof toAdminRefund>> {
  const paymentId = fromPublicId('payment', publicId)
  if (paymentId === null) throw paymentNotFound()
  const amount = BigInt(input.amount)
  try {
    return await deps.db.transaction().execute(async (trx) => {
      const payment = await findPayment(trx, paymentId, { forUpdate: true })
      if (payment === undefined) throw paymentNotFound()
      if (payment.channel === 'card') {
        throw new DomainError('payment_not_external', 'A card payment is refunded through the bank (a refund ' +
          'request, or POST /v1/admin/payments/{id}/return), never recorded as made elsewhere')
      }
      if (payment.status !== 'succeeded') {
        throw new DomainError('payment_not_refundable', `Only a succeeded payment can be refunded; this one is ${payment.status}`)
      }
      const recorded = await findExternalRefund(trx, payment.id, input.reference)
      if (recorded !== undefined) throw alreadyRecorded(input.reference)
      const refundable = payment.amount - await committedRefunds(trx, payment.id)
      if (amount > refundable) {
        throw new DomainError('amount_exceeds_refundable', 'The amount is more than can still be refunded', {
          facts: { refundable: Number(refundable) },
          errors: [{ path: 'body.amount', message: `must be at most ${refundable}` }]
        })
      }
      const refund = await insertRefund(trx, {
        id: uuidv7(), payment_id: payment.id, refund_request_id: null, kind: 'external', amount, reference: input.reference
      })
      const paid = await payOut(trx, refund, payment, null)
      await recordAudit(trx, actor, {
        action: 'refund.external_recorded',
        entityType: 'refund',
        entityId: toPublicId('refund', refund.id),
        details: {
          paymentId: publicId, channel: payment.channel, amount: amount.toString(), reference: input.reference
        }
      })
      return toAdminRefund(paid)
    })
  } catch (error) {
    // the unique index's word, should a record of the same reference slip past the check
    if (isUniqueViolation(error)) throw alreadyRecorded(input.reference)
    throw error
  }
}
