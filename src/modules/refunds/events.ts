// The refund events (refund.succeeded, .failed) and refund request events (refund_request.submitted, .decided),
// published in the caller's transaction; the creditor is the payment's.
import type { Trx } from '../../db/database.js'
import { publishEvent } from '../events/service.js'
import { findPaymentWithDebt } from '../payments/service.js'
import { findRefund, findRefundOfRequest, findRefundRequest } from './repository.js'
import { toAdminRefund, toPartnerRefund, toPartnerRefundRequest, toRefundRequest } from './views.js'

async function creditorOfPayment (trx: Trx, paymentId: string): Promise<{ creditor: string, creditorId: string }> {
  const row = await findPaymentWithDebt(trx, paymentId)
  if (row === undefined) throw new Error(`event of an unknown payment ${paymentId}`)
  return { creditor: row.creditor, creditorId: row.creditor_id }
}

export async function publishRefundEvent (trx: Trx, type: 'refund.succeeded' | 'refund.failed', refundId: string): Promise<void> {
  const row = await findRefund(trx, refundId)
  if (row === undefined) throw new Error(`event of an unknown refund ${refundId}`)
  await publishEvent(trx, type, {
    ...await creditorOfPayment(trx, row.payment_id),
    data: toAdminRefund(row),
    partnerData: toPartnerRefund(row)
  })
}

export async function publishRefundRequestEvent (trx: Trx, type: 'refund_request.submitted' | 'refund_request.decided', requestId: string): Promise<void> {
  const row = await findRefundRequest(trx, requestId)
  if (row === undefined) throw new Error(`event of an unknown refund request ${requestId}`)
  const request = toRefundRequest(row, await findRefundOfRequest(trx, row.id))
  await publishEvent(trx, type, {
    ...await creditorOfPayment(trx, row.payment_id),
    data: request,
    partnerData: toPartnerRefundRequest(request)
  })
}
