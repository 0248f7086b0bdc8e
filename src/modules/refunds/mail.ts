// The payer's messages about refunds (offer cl. 5, 8), composed here where the facts happen, from the payment the
// caller holds (locked); the notifications module only keeps the outbox, the templates and the delivery.
import type { Trx } from '../../db/database.js'
import { toPublicId } from '../../lib/ids.js'
import { payerEmailOf } from '../acceptances/service.js'
import { findDebt } from '../debts/service.js'
import { queueMail, type MailRecipient } from '../notifications/service.js'
import { cardEnding, formatAlmatyTime, formatDate, formatTenge } from '../notifications/templates.js'
import type { PaymentRow } from '../payments/tables.js'
import type { RefundRequestRow, RefundRow } from './tables.js'

async function payerOf (trx: Trx, payment: PaymentRow): Promise<MailRecipient> {
  const to = payment.acceptance_id === null ? undefined : await payerEmailOf(trx, payment.acceptance_id)
  if (to === undefined) throw new Error(`payment ${payment.id} has no acceptance`)
  return to
}

async function contractNumberOf (trx: Trx, payment: PaymentRow): Promise<string> {
  return (await findDebt(trx, payment.debt_id))?.contract_number ?? '—'
}

type RequestFacts = Pick<RefundRequestRow,
  'id' | 'payment_id' | 'amount' | 'created_at' | 'status' | 'response_text' | 'decided_at' | 'due_at'>

/** What every message about a refund request names. */
async function requestFacts (trx: Trx, request: RequestFacts, payment: PaymentRow): Promise<Record<string, string>> {
  return {
    refundRequestId: toPublicId('refundRequest', request.id),
    paymentId: toPublicId('payment', payment.id),
    contractNumber: await contractNumberOf(trx, payment),
    amount: formatTenge(request.amount)
  }
}

/** offer cl. 5: the client's written request is acknowledged. */
export async function queueRefundRequestReceived (trx: Trx, request: RequestFacts, payment: PaymentRow): Promise<void> {
  await queueMail(trx, {
    template: 'refund-request-received',
    to: await payerOf(trx, payment),
    data: { ...await requestFacts(trx, request, payment), createdAt: formatAlmatyTime(request.created_at) }
  })
}

/** offer cl. 5: the agency's official answer, approved or rejected, with the operator's text. */
export async function queueRefundAnswer (trx: Trx, request: RequestFacts, payment: PaymentRow): Promise<void> {
  if (request.status === 'submitted') throw new Error('a refund request without a decision has no answer')
  await queueMail(trx, {
    template: request.status === 'approved' ? 'refund-request-approved' : 'refund-request-rejected',
    to: await payerOf(trx, payment),
    data: {
      ...await requestFacts(trx, request, payment),
      dueAt: request.due_at === null ? '—' : formatDate(request.due_at),
      card: cardEnding(payment.card_mask),
      responseText: request.response_text ?? '—',
      decidedAt: formatAlmatyTime(request.decided_at ?? new Date())
    }
  })
}

/** The bank returned the money (a refund the client asked for, or the agency's return, offer cl. 8). */
export async function queueRefundPaid (
  trx: Trx, refund: Pick<RefundRow, 'id' | 'payment_id' | 'amount' | 'kind'>, payment: PaymentRow
): Promise<void> {
  await queueMail(trx, {
    template: 'refund-paid',
    to: await payerOf(trx, payment),
    data: {
      reason: refund.kind === 'return'
        ? 'Агентство вернуло ваш платёж (п. 8 оферты).'
        : 'Ваш запрос на возврат исполнен.',
      refundId: toPublicId('refund', refund.id),
      paymentId: toPublicId('payment', payment.id),
      contractNumber: await contractNumberOf(trx, payment),
      amount: formatTenge(refund.amount),
      card: cardEnding(payment.card_mask),
      completedAt: formatAlmatyTime(new Date())
    }
  })
}
