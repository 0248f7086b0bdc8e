import { toPayment } from '../payments/service.js'
import { toAdminRefund, toRefundRequest } from '../refunds/service.js'
import { findRefund, findRefundOfRequest, findRefundRequest } from '../refunds/repository.js'
import { findImport } from '../debts/repository.js'
import { toDebtImport } from '../debts/import-service.js'
import { amountsOfDebts, findPaymentWithDebt, listCreditorDebts } from '../partners/repository.js'
import { toPartnerDebt, toPartnerPayment, toPartnerRefund } from '../partners/views.js'
import type { Trx } from '../../db/database.js'

/**
 * The object an event carries, as it stood when the fact happened, in the
 * two views: the back office's (the shape its API returns) and a partner's.
 * Names are not stored at all: a payment's payer initials and a debt's
 * debtor initials are filled in when the event is read or delivered (see
 * service.ts), so a stored payload never holds a person's data and an
 * erasure leaves nothing behind here.
 */
export interface EventObjects { creditor: string | null, data: Record<string, unknown>, partnerData: Record<string, unknown> | null }

export async function paymentObjects (trx: Trx, paymentId: string): Promise<EventObjects> {
  const row = await findPaymentWithDebt(trx, paymentId)
  if (row === undefined) throw new Error(`event of an unknown payment ${paymentId}`)
  return {
    creditor: row.creditor,
    data: { ...toPayment(row), contractNumber: row.contract_number, bankPaymentId: row.bank_payment_id, needsReview: row.needs_review, reviewReason: row.review_reason },
    partnerData: toPartnerPayment(row, row, null)
  }
}

async function creditorOfPayment (trx: Trx, paymentId: string): Promise<string> {
  const row = await findPaymentWithDebt(trx, paymentId)
  if (row === undefined) throw new Error(`event of an unknown payment ${paymentId}`)
  return row.creditor
}

export async function refundObjects (trx: Trx, refundId: string): Promise<EventObjects> {
  const row = await findRefund(trx, refundId)
  if (row === undefined) throw new Error(`event of an unknown refund ${refundId}`)
  return { creditor: await creditorOfPayment(trx, row.payment_id), data: toAdminRefund(row), partnerData: toPartnerRefund(row) }
}

export async function refundRequestObjects (trx: Trx, requestId: string): Promise<EventObjects> {
  const row = await findRefundRequest(trx, requestId)
  if (row === undefined) throw new Error(`event of an unknown refund request ${requestId}`)
  const request = toRefundRequest(row, await findRefundOfRequest(trx, row.id))
  return { creditor: await creditorOfPayment(trx, row.payment_id), data: request, partnerData: request }
}

export async function debtObjects (trx: Trx, debtId: string): Promise<EventObjects> {
  const [row] = await listCreditorDebts(trx, null, { ids: [debtId], limit: 1, startingAfter: null })
  if (row === undefined) throw new Error(`event of an unknown debt ${debtId}`)
  const amounts = (await amountsOfDebts(trx, [debtId])).get(debtId) ?? { claim: 0n, collected: 0n }
  // the debtor is named by initials in both views; filled in when read
  const debt = toPartnerDebt(row, amounts, null)
  return { creditor: row.creditor, data: debt, partnerData: debt }
}

/** An import is the agency's own fact (a portfolio may hold many creditors): the admin's only. */
export async function importObjects (trx: Trx, importId: string): Promise<EventObjects> {
  const row = await findImport(trx, importId)
  if (row === undefined) throw new Error(`event of an unknown import ${importId}`)
  const report = toDebtImport(row)
  return { creditor: null, data: { ...report, errors: report.errors.slice(0, 100) }, partnerData: null }
}
