// What a partner may see of a person (docs/architecture.md, partners, events and webhooks): initials only
// ("Иванов Иван Иванович" -> "И. И. И."), never an email, phone, IP or IIN.
// Initials are all that event payloads ever hold of a name, too.
import { moneyOf } from '../../lib/money.js'
import type { PiiCipher } from '../../lib/crypto.js'
import { toPublicId } from '../../lib/ids.js'
import { normalizeName } from '../../lib/names.js'
import { ERASED } from '../privacy/erased.js'
import type { PartnerDebt, PartnerPayment, PartnerRefundRequest } from './schemas.js'
import type { RefundRequest } from '../refunds/schemas.js'
import type { PaymentRow } from '../payments/tables.js'
import { toPayment } from '../payments/views.js'
import type { RefundRow } from '../refunds/tables.js'
import type { DebtRow } from '../debts/tables.js'

export function initials (name: string): string | null {
  if (name === ERASED) return null
  const parts = normalizeName(name).split(' ').filter((p) => p !== '')
  if (parts.length === 0) return null
  return parts.map((part) => `${([...part][0] ?? '').toLocaleUpperCase('ru-RU')}.`).join(' ')
}

/** Initials of an encrypted name; null when it cannot be read (a tombstone, a retired key). */
export function initialsOf (pii: PiiCipher, encrypted: string | null | undefined): string | null {
  if (encrypted === null || encrypted === undefined) return null
  try {
    return initials(pii.decrypt(encrypted))
  } catch {
    return null
  }
}

export interface DebtFacts { contract_number: string, creditor: string }

export function toPartnerPayment (row: PaymentRow, debt: DebtFacts, payerName: string | null): PartnerPayment {
  // the payment as the API shows it, less what is the agency's own (expiry, overpayment), plus what a creditor needs
  const { id, status, amount, currency, refundedAmount, debtId, createdAt, paidAt, cardMask, failureCode } = toPayment(row)
  return {
    id,
    status,
    amount,
    currency,
    refundedAmount,
    debtId,
    contractNumber: debt.contract_number,
    creditor: debt.creditor,
    payerName,
    createdAt,
    paidAt,
    cardMask,
    bankPaymentId: row.bank_payment_id,
    failureCode,
    needsReview: row.needs_review
  }
}

export interface DebtAmounts { claim: bigint, collected: bigint }

export function toPartnerDebt (row: DebtRow, amounts: DebtAmounts, debtorName: string | null): PartnerDebt {
  return {
    id: toPublicId('debt', row.id),
    contractNumber: row.contract_number,
    creditor: row.creditor,
    debtorName: debtorName ?? '',
    status: row.status,
    claimAmount: moneyOf(amounts.claim),
    collectedAmount: moneyOf(amounts.collected),
    outstanding: moneyOf(row.outstanding),
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString()
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
