// How refunds and refund requests are shown: the client's view, the back office's, a partner's (and the events'),
// and a request with its refund.
import { almatyDate } from '../../lib/calendar.js'
import { toPublicId } from '../../lib/ids.js'
import { PiiDecryptionError, type PiiCipher } from '../../lib/crypto.js'
import type { AdminRefundRequest, PartnerRefundRequest, RefundRequest } from './schemas.js'
import type { EncryptedPayer } from './repository.js'
import type { RefundRequestRow, RefundRow } from './tables.js'

export function toRefund (row: RefundRow) {
  return {
    id: toPublicId('refund', row.id),
    kind: row.kind,
    status: row.status,
    amount: Number(row.amount),
    attempts: row.attempts,
    completedAt: row.completed_at?.toISOString() ?? null
  }
}

/** The back office's view: why a refund needs review, and what the bank was last asked. */
export function toAdminRefund (row: RefundRow) {
  return {
    ...toRefund(row),
    paymentId: toPublicId('payment', row.payment_id),
    refundRequestId: row.refund_request_id === null ? null : toPublicId('refundRequest', row.refund_request_id),
    reviewReason: row.review_reason,
    lastError: row.last_error,
    sentAt: row.sent_at?.toISOString() ?? null,
    bankRefundId: row.bank_refund_id,
    reference: row.reference,
    createdAt: row.created_at.toISOString()
  }
}

export function toRefundRequest (row: RefundRequestRow, refund: RefundRow | undefined): RefundRequest {
  return {
    id: toPublicId('refundRequest', row.id),
    status: row.status,
    paymentId: toPublicId('payment', row.payment_id),
    amount: Number(row.amount),
    responseText: row.response_text,
    decidedAt: row.decided_at?.toISOString() ?? null,
    dueAt: row.due_at,
    overdue: row.overdue || (row.open && row.status === 'approved' && row.due_at !== null && row.due_at < almatyDate(new Date())),
    refund: refund === undefined ? null : toRefund(refund),
    createdAt: row.created_at.toISOString()
  }
}

/** Told of a field that does not decrypt (a key id not configured, a corrupt value): which, never its content. */
export type UnreadableField = (where: { refundRequestId: string, field: string, error: string }) => void

/**
 * The back office's view: the payer's written reason and the payer, decrypted (each read is audit-logged). A value
 * that does not decrypt shows as null and is told to `unreadable` (a log line), so one such row does not fail a list.
 */
export function toAdminRefundRequest (
  pii: PiiCipher, row: RefundRequestRow, refund: RefundRow | undefined, payer: EncryptedPayer | undefined,
  unreadable: UnreadableField = () => {}
): AdminRefundRequest {
  const view = toRefundRequest(row, refund)
  const clear = (field: string, text: string | null | undefined): string | null => {
    if (text === null || text === undefined) return null
    try {
      return pii.decrypt(text)
    } catch (error) {
      if (!(error instanceof PiiDecryptionError)) throw error
      unreadable({ refundRequestId: view.id, field, error: error.message })
      return null
    }
  }
  return {
    ...view,
    reason: clear('reason', row.reason_encrypted),
    payer: {
      fullName: clear('payer.fullName', payer?.fullName),
      email: clear('payer.email', payer?.email),
      phone: clear('payer.phone', payer?.phone)
    }
  }
}

export function toPartnerRefund (row: RefundRow) {
  return {
    id: toPublicId('refund', row.id),
    kind: row.kind,
    status: row.status,
    amount: Number(row.amount),
    paymentId: toPublicId('payment', row.payment_id),
    refundRequestId: row.refund_request_id === null ? null : toPublicId('refundRequest', row.refund_request_id),
    createdAt: row.created_at.toISOString(),
    completedAt: row.completed_at?.toISOString() ?? null
  }
}

/** Everything of the request but the agency's answer to the payer (schemas.ts). */
export function toPartnerRefundRequest (request: RefundRequest): PartnerRefundRequest {
  const { responseText: _answer, ...shown } = request
  return shown
}
