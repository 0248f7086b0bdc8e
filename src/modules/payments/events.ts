// The payment events (payment.succeeded, .failed, .expired, .returned, .needs_review): the payment as the back office
// and as its creditor see it, published in the caller's transaction.
import type { Trx } from '../../db/database.js'
import { publishEvent, type EventObjects, type PaymentEventType } from '../events/service.js'
import { findPaymentWithDebt } from './partner-view.js'
import { toAdminPayment, toPartnerPayment } from './views.js'

async function paymentObjects (trx: Trx, paymentId: string): Promise<EventObjects> {
  const row = await findPaymentWithDebt(trx, paymentId)
  if (row === undefined) throw new Error(`event of an unknown payment ${paymentId}`)
  return {
    creditor: row.creditor,
    creditorId: row.creditor_id,
    data: toAdminPayment(row, row),
    partnerData: toPartnerPayment(row, row, null)
  }
}

export async function publishPaymentEvent (trx: Trx, type: PaymentEventType, paymentId: string): Promise<void> {
  await publishEvent(trx, type, await paymentObjects(trx, paymentId))
}
