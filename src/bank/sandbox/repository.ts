/**
 * All of the sandbox bank's SQL. Handle first, so the caller owns the
 * transaction; state changes are guarded by the expected status.
 */
import { sql, type Selectable, type Transaction, type Updateable } from 'kysely'
import type { SandboxBankDatabase, SandboxBankPaymentsTable, SandboxDb, SandboxPayment, SandboxPaymentStatus } from './types.js'

type Handle = SandboxDb | Transaction<SandboxBankDatabase>

// an id that can be an int8 at all; anything else is simply unknown
const PAYMENT_ID = /^[1-9]\d{0,17}$/

function toPayment (row: Selectable<SandboxBankPaymentsTable>): SandboxPayment {
  return {
    id: String(row.id),
    merchantId: row.merchant_id,
    orderId: row.order_id,
    amount: BigInt(row.amount),
    currency: row.currency,
    description: row.description,
    params: row.request_params,
    status: row.status,
    cardMask: row.card_mask,
    cardBrand: row.card_brand,
    failureCode: row.failure_code,
    failureDescription: row.failure_description,
    refundedAmount: BigInt(row.refunded_amount),
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    paidAt: row.paid_at
  }
}

export type NewPayment = Pick<SandboxPayment, 'merchantId' | 'orderId' | 'amount' | 'currency' | 'description' | 'params'> & { lifetimeSeconds: number }

export async function insertPayment (db: Handle, payment: NewPayment): Promise<SandboxPayment> {
  const row = await db.insertInto('sandbox_bank_payments').values({
    merchant_id: payment.merchantId,
    order_id: payment.orderId,
    amount: payment.amount,
    currency: payment.currency,
    description: payment.description,
    request_params: JSON.stringify(payment.params),
    expires_at: sql<Date>`now() + make_interval(secs => ${payment.lifetimeSeconds})`
  }).returningAll().executeTakeFirstOrThrow()
  return toPayment(row)
}

export async function findPayment (db: Handle, merchantId: string, id: string, options: { lock?: boolean } = {}): Promise<SandboxPayment | null> {
  if (!PAYMENT_ID.test(id)) return null
  let query = db.selectFrom('sandbox_bank_payments').selectAll().where('id', '=', id).where('merchant_id', '=', merchantId)
  if (options.lock === true) query = query.forUpdate()
  const row = await query.executeTakeFirst()
  return row === undefined ? null : toPayment(row)
}

/** The latest payment of a merchant's order: a retried order gets a new payment at the bank. */
export async function findLatestPaymentOfOrder (db: Handle, merchantId: string, orderId: string): Promise<SandboxPayment | null> {
  const row = await db.selectFrom('sandbox_bank_payments').selectAll()
    .where('merchant_id', '=', merchantId).where('order_id', '=', orderId)
    .orderBy('id', 'desc').limit(1).executeTakeFirst()
  return row === undefined ? null : toPayment(row)
}

/** Moves a payment on only from one of the expected statuses; null when another request got there first. */
export async function transitionPayment (db: Handle, id: string, from: SandboxPaymentStatus[], changes: Updateable<SandboxBankPaymentsTable>): Promise<SandboxPayment | null> {
  const row = await db.updateTable('sandbox_bank_payments').set(changes)
    .where('id', '=', id).where('status', 'in', from)
    .returningAll().executeTakeFirst()
  return row === undefined ? null : toPayment(row)
}

/** pending past its pg_lifetime -> failed; null when it was not due (or no longer pending). */
export async function expirePayment (db: Handle, id: string, failure: { code: string, description: string }): Promise<SandboxPayment | null> {
  const row = await db.updateTable('sandbox_bank_payments')
    .set({ status: 'failed', failure_code: failure.code, failure_description: failure.description, finished_at: sql<Date>`now()` })
    .where('id', '=', id).where('status', '=', 'pending').where('expires_at', '<=', sql<Date>`now()`)
    .returningAll().executeTakeFirst()
  return row === undefined ? null : toPayment(row)
}

/** Records a refund of a payment the caller holds locked; returns the refund's id. */
export async function addRefund (trx: Transaction<SandboxBankDatabase>, paymentId: string, amount: bigint): Promise<string> {
  const refund = await trx.insertInto('sandbox_bank_refunds')
    .values({ payment_id: BigInt(paymentId), amount })
    .returning('id').executeTakeFirstOrThrow()
  await trx.updateTable('sandbox_bank_payments')
    .set({ refunded_amount: sql<bigint>`refunded_amount + ${amount}` })
    .where('id', '=', paymentId).execute()
  return String(refund.id)
}
