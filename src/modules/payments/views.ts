// How a payment row is shown: the API's Payment, a partner's (and the payment events'), and the 404 every lookup of
// an unknown (or hidden) payment answers.
import { CURRENCY } from '../../lib/money.js'
import { DomainError } from '../../lib/errors.js'
import { toPublicId } from '../../lib/ids.js'
import type { DebtFacts } from '../debts/service.js'
import type { PartnerPayment, Payment } from './schemas.js'
import type { PaymentRow } from './tables.js'
import { failureCodeOf } from './failure-codes.js'

export function toPayment (row: PaymentRow): Payment {
  return {
    id: toPublicId('payment', row.id),
    status: row.status,
    amount: Number(row.amount),
    currency: CURRENCY,
    refundedAmount: Number(row.refunded_amount),
    overpaidAmount: Number(row.overpaid_amount),
    debtId: toPublicId('debt', row.debt_id),
    createdAt: row.created_at.toISOString(),
    expiresAt: row.expires_at.toISOString(),
    paidAt: row.paid_at?.toISOString() ?? null,
    cardMask: row.card_mask,
    failureCode: failureCodeOf(row.failure_code),
    channel: row.channel
  }
}

/** How the payment came and whose debt it pays, as the back office and partners see it. */
function channelOf (row: PaymentRow, debt: DebtFacts) {
  return { channel: row.channel, kaspiTxnId: row.kaspi_txn_id, paymentCode: debt.payment_code }
}

/** The back office's view (the list, the detail, the payment events' `data`). */
export function toAdminPayment (row: PaymentRow, debt: DebtFacts) {
  return {
    ...toPayment(row),
    ...channelOf(row, debt),
    contractNumber: debt.contract_number,
    creditor: debt.creditor,
    creditorId: toPublicId('creditor', debt.creditor_id),
    bankPaymentId: row.bank_payment_id,
    needsReview: row.needs_review,
    reviewReason: row.review_reason
  }
}

export function toPartnerPayment (row: PaymentRow, debt: DebtFacts, payerName: string | null): PartnerPayment {
  // the payment as the API shows it, less what is the agency's own (expiry, overpayment), plus what a creditor needs
  const {
    id, status, amount, currency, refundedAmount, debtId, createdAt, paidAt, cardMask, failureCode
  } = toPayment(row)
  return {
    id,
    status,
    amount,
    currency,
    refundedAmount,
    debtId,
    contractNumber: debt.contract_number,
    creditor: debt.creditor,
    creditorId: toPublicId('creditor', debt.creditor_id),
    payerName,
    createdAt,
    paidAt,
    cardMask,
    bankPaymentId: row.bank_payment_id,
    failureCode,
    needsReview: row.needs_review,
    ...channelOf(row, debt)
  }
}

export function paymentNotFound (): DomainError {
  return new DomainError('payment_not_found', 'No payment with this id')
}

/** What the payment is for, as the bank's description and the receipt both say it. */
export function paymentPurpose (contractNumber: string): string {
  return `Погашение задолженности по договору ${contractNumber}`
}
