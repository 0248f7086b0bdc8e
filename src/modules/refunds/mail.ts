// The payer's messages about refunds (offer cl. 5, 8), composed here where the facts happen, from the payment the
// caller holds (locked); the notifications module only keeps the outbox, the templates and the delivery.
import type { Trx } from '../../db/database.js'
import { toPublicId } from '../../lib/ids.js'
import { payerEmailOf } from '../acceptances/service.js'
import { findDebt } from '../debts/service.js'
import { queueMail, type MailRecipient } from '../notifications/service.js'
import { cardEnding, formatAlmatyTime, formatDate, formatTenge, phrase } from '../notifications/templates.js'
import type { Language } from '../../lib/languages.js'
import type { PaymentRow } from '../payments/tables.js'
import type { RefundRequestRow, RefundRow } from './tables.js'

/** The payer's address and language (DESIGN 19: the language the offer was read in). */
async function payerOf (trx: Trx, payment: PaymentRow): Promise<MailRecipient & { language: Language }> {
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
async function requestFacts (
  trx: Trx, request: RequestFacts, payment: PaymentRow, language: Language
): Promise<Record<string, string>> {
  return {
    refundRequestId: toPublicId('refundRequest', request.id),
    paymentId: toPublicId('payment', payment.id),
    contractNumber: await contractNumberOf(trx, payment),
    amount: formatTenge(language, request.amount)
  }
}

/** offer cl. 5: the client's written request is acknowledged. */
export async function queueRefundRequestReceived (trx: Trx, request: RequestFacts, payment: PaymentRow): Promise<void> {
  const to = await payerOf(trx, payment)
  await queueMail(trx, {
    template: 'refund-request-received',
    to,
    language: to.language,
    data: {
      ...await requestFacts(trx, request, payment, to.language),
      createdAt: formatAlmatyTime(request.created_at, to.language)
    }
  })
}

/** offer cl. 5: the agency's official answer, approved or rejected, with the operator's text. */
export async function queueRefundAnswer (trx: Trx, request: RequestFacts, payment: PaymentRow): Promise<void> {
  if (request.status === 'submitted') throw new Error('a refund request without a decision has no answer')
  const to = await payerOf(trx, payment)
  await queueMail(trx, {
    template: request.status === 'approved' ? 'refund-request-approved' : 'refund-request-rejected',
    to,
    language: to.language,
    data: {
      ...await requestFacts(trx, request, payment, to.language),
      dueAt: request.due_at === null ? '—' : formatDate(request.due_at, to.language),
      card: cardEnding(payment.card_mask),
      responseText: request.response_text ?? '—',
      decidedAt: formatAlmatyTime(request.decided_at ?? new Date(), to.language)
    }
  })
}

/** The bank returned the money (a refund the client asked for, or the agency's return, offer cl. 8). */
export async function queueRefundPaid (
  trx: Trx, refund: Pick<RefundRow, 'id' | 'payment_id' | 'amount' | 'kind'>, payment: PaymentRow
): Promise<void> {
  const to = await payerOf(trx, payment)
  await queueMail(trx, {
    template: 'refund-paid',
    to,
    language: to.language,
    data: {
      reason: phrase(to.language, refund.kind === 'return' ? 'refundReasonReturn' : 'refundReasonRequested'),
      refundId: toPublicId('refund', refund.id),
      paymentId: toPublicId('payment', payment.id),
      contractNumber: await contractNumberOf(trx, payment),
      amount: formatTenge(to.language, refund.amount),
      card: cardEnding(payment.card_mask),
      completedAt: formatAlmatyTime(new Date(), to.language)
    }
  })
}
