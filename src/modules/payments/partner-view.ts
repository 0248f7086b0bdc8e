// A payment as its creditor sees it (the partner API, the payment events): the payment with its debt's contract and
// creditor, the payer's name (encrypted, shown as initials). Payments own this view; partners scope it by key.
import type { Handle } from '../../db/database.js'
import { payerNamesOf } from '../acceptances/service.js'
import { debtFactsOf, type DebtFacts } from '../debts/service.js'
import {
  findCreditorPayment as findCreditorPaymentRow, findPayment, listCreditorPayments as listCreditorPaymentRows
} from './repository.js'
import type { PaymentRow, PaymentStatus } from './tables.js'

export type PartnerPaymentRow = PaymentRow & DebtFacts & { payer_name_encrypted: string | null }

async function withDebtAndPayer (db: Handle, payments: PaymentRow[]): Promise<PartnerPaymentRow[]> {
  const debts = await debtFactsOf(db, [...new Set(payments.map((payment) => payment.debt_id))])
  const acceptances = payments.flatMap((payment) => payment.acceptance_id ?? [])
  const names = await payerNamesOf(db, [...new Set(acceptances)])
  return payments.map((payment) => ({
    ...payment,
    ...(debts.get(payment.debt_id) as DebtFacts),
    payer_name_encrypted: payment.acceptance_id === null ? null : names.get(payment.acceptance_id) ?? null
  }))
}

export interface CreditorPaymentFilter {
  status?: PaymentStatus
  from?: Date
  to?: Date
  limit: number
  startingAfter: string | null
}

/** Newest first; one more than `limit` tells whether a next page exists. */
export async function listCreditorPayments (
  db: Handle, creditors: string[], filter: CreditorPaymentFilter
): Promise<PartnerPaymentRow[]> {
  return await withDebtAndPayer(db, await listCreditorPaymentRows(db, creditors, filter))
}

export async function findCreditorPayment (
  db: Handle, creditors: string[], id: string
): Promise<PartnerPaymentRow | undefined> {
  const row = await findCreditorPaymentRow(db, creditors, id)
  return row === undefined ? undefined : (await withDebtAndPayer(db, [row]))[0]
}

/** The payment with its debt's facts, no name (an event fills the initials in when it is read). */
export async function findPaymentWithDebt (db: Handle, id: string): Promise<(PaymentRow & DebtFacts) | undefined> {
  const payment = await findPayment(db, id)
  if (payment === undefined) return undefined
  const debt = (await debtFactsOf(db, [payment.debt_id])).get(payment.debt_id)
  return debt === undefined ? undefined : { ...payment, ...debt }
}

/** The payer's name (encrypted) of a payment, for the initials an event shows when it is read. */
export async function payerNameOf (db: Handle, paymentId: string): Promise<string | undefined> {
  const payment = await findPayment(db, paymentId)
  if (payment === undefined || payment.acceptance_id === null) return undefined
  return (await payerNamesOf(db, [payment.acceptance_id])).get(payment.acceptance_id)
}
