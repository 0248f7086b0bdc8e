/**
 * All of the sandbox bank's SQL. Handle first, so the caller owns the
 * transaction; state changes are guarded by the expected status.
 */
import { sql, type Selectable, type Updateable } from 'kysely'
import type { Handle, Trx } from '../../db/database.js'
import type {
  CallbackKind, FaultMode, FaultScript, SandboxBankCallbacksTable, SandboxBankPaymentsTable,
  SandboxDb, SandboxPayment, SandboxPaymentStatus
} from './types.js'

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

// the payer's contact data and address: used for nothing the sandbox does, so never kept
const PERSONAL_PARAMS = new Set(['pg_user_phone', 'pg_user_contact_email', 'pg_user_ip'])

function withoutPersonalData (params: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(params).filter(([name]) => !PERSONAL_PARAMS.has(name)))
}

export type NewPayment = Pick<SandboxPayment, 'merchantId' | 'orderId' | 'amount' | 'currency' | 'description' | 'params'> & { lifetimeSeconds: number }

export async function insertPayment (db: Handle, payment: NewPayment): Promise<SandboxPayment> {
  const row = await db.insertInto('sandbox_bank_payments').values({
    merchant_id: payment.merchantId,
    order_id: payment.orderId,
    amount: payment.amount,
    currency: payment.currency,
    description: payment.description,
    request_params: JSON.stringify(withoutPersonalData(payment.params)),
    expires_at: sql<Date>`now() + make_interval(secs => ${payment.lifetimeSeconds})`
  }).returningAll().executeTakeFirstOrThrow()
  return toPayment(row)
}

export async function findPayment (
  db: Handle, merchantId: string, id: string, options: { lock?: boolean } = {}
): Promise<SandboxPayment | null> {
  if (!PAYMENT_ID.test(id)) return null
  let query = db.selectFrom('sandbox_bank_payments').selectAll().where('id', '=', id).where('merchant_id', '=', merchantId)
  if (options.lock === true) query = query.forUpdate()
  const row = await query.executeTakeFirst()
  return row === undefined ? null : toPayment(row)
}

/** The latest payment of a merchant's order: a retried order gets a new payment at the bank. */
export async function findLatestPaymentOfOrder (
  db: Handle, merchantId: string, orderId: string
): Promise<SandboxPayment | null> {
  const row = await db.selectFrom('sandbox_bank_payments').selectAll()
    .where('merchant_id', '=', merchantId).where('order_id', '=', orderId)
    .orderBy('id', 'desc').limit(1).executeTakeFirst()
  return row === undefined ? null : toPayment(row)
}

/** Moves a payment on only from one of the expected statuses; null when another request got there first. */
export async function transitionPayment (
  db: Handle, id: string, from: SandboxPaymentStatus[], changes: Updateable<SandboxBankPaymentsTable>
): Promise<SandboxPayment | null> {
  const row = await db.updateTable('sandbox_bank_payments').set(changes)
    .where('id', '=', id).where('status', 'in', from)
    .returningAll().executeTakeFirst()
  return row === undefined ? null : toPayment(row)
}

/** pending past its pg_lifetime -> failed; null when it was not due (or no longer pending). */
export async function expirePayment (
  db: Handle, id: string, failure: { code: string, description: string }
): Promise<SandboxPayment | null> {
  const row = await db.updateTable('sandbox_bank_payments')
    .set({ status: 'failed', failure_code: failure.code, failure_description: failure.description, finished_at: sql<Date>`now()` })
    .where('id', '=', id).where('status', '=', 'pending').where('expires_at', '<=', sql<Date>`now()`)
    .returningAll().executeTakeFirst()
  return row === undefined ? null : toPayment(row)
}

/** Records a refund of a payment the caller holds locked; returns the refund's id. */
export async function addRefund (trx: Trx, paymentId: string, amount: bigint): Promise<string> {
  const refund = await trx.insertInto('sandbox_bank_refunds')
    .values({ payment_id: BigInt(paymentId), amount })
    .returning('id').executeTakeFirstOrThrow()
  await trx.updateTable('sandbox_bank_payments')
    .set({ refunded_amount: sql<bigint>`refunded_amount + ${amount}` })
    .where('id', '=', paymentId).execute()
  return String(refund.id)
}

export interface QueuedCallback {
  id: string
  paymentId: string
  kind: CallbackKind
  url: string
  params: Record<string, string>
  /** Attempts made before this one. */
  attempts: number
}

function toCallback (row: Selectable<SandboxBankCallbacksTable>): QueuedCallback {
  return {
    id: String(row.id),
    paymentId: String(row.payment_id),
    kind: row.kind,
    url: row.url,
    params: row.params,
    attempts: row.attempts
  }
}

/** A new callback, claimed by its creator for `leaseMs` so that it can make the first attempt at once. */
export async function insertCallback (db: Handle, callback: Pick<QueuedCallback, 'paymentId' | 'kind' | 'url' | 'params'>, leaseMs: number): Promise<QueuedCallback> {
  const row = await db.insertInto('sandbox_bank_callbacks').values({
    payment_id: BigInt(callback.paymentId),
    kind: callback.kind,
    url: callback.url,
    params: JSON.stringify(withoutPersonalData(callback.params)),
    next_attempt_at: sql<Date>`now() + make_interval(secs => ${leaseMs / 1000})`
  }).returningAll().executeTakeFirstOrThrow()
  return toCallback(row)
}

/**
 * Claims due callbacks: each is leased for `leaseMs` (its next attempt moved
 * past the delivery's own timeout), so another process skips it, and a
 * process that dies mid-delivery only delays it until the lease runs out.
 */
export async function claimDueCallbacks (db: SandboxDb, limit: number, leaseMs: number): Promise<QueuedCallback[]> {
  const { rows } = await sql<Selectable<SandboxBankCallbacksTable>>`
    with due as (
      select id from sandbox_bank_callbacks
      where delivered_at is null and gave_up_at is null and next_attempt_at <= now()
      order by next_attempt_at limit ${limit}
      for update skip locked
    )
    update sandbox_bank_callbacks c set next_attempt_at = now() + make_interval(secs => ${leaseMs / 1000})
    from due where c.id = due.id
    returning c.*`.execute(db)
  return rows.map(toCallback)
}

export type AttemptOutcome = { delivered: true } | { delivered: false, error: string, retryInMs: number | null }

/**
 * Records one attempt of a claimed callback; retryInMs null: given up.
 * Guarded by the attempt count seen at the claim.
 */
export async function recordCallbackAttempt (
  db: Handle, callback: QueuedCallback, outcome: AttemptOutcome
): Promise<void> {
  const changes = outcome.delivered
    ? { delivered_at: sql<Date>`now()`, last_error: null }
    : outcome.retryInMs === null
      ? { gave_up_at: sql<Date>`now()`, last_error: outcome.error.slice(0, 500) }
      : { next_attempt_at: sql<Date>`now() + make_interval(secs => ${outcome.retryInMs / 1000})`, last_error: outcome.error.slice(0, 500) }
  await db.updateTable('sandbox_bank_callbacks').set({ attempts: callback.attempts + 1, ...changes })
    .where('id', '=', callback.id).where('attempts', '=', callback.attempts).execute()
}

export interface ArmedFault { script: FaultScript, mode: FaultMode, remaining: number }

export async function armFault (db: Handle, fault: ArmedFault): Promise<void> {
  await db.insertInto('sandbox_bank_faults').values(fault).execute()
}

export async function armedFaults (db: Handle): Promise<ArmedFault[]> {
  return await db.selectFrom('sandbox_bank_faults').select(['script', 'mode', 'remaining'])
    .where('remaining', '>', 0).orderBy('id').execute()
}

export async function clearFaults (db: Handle): Promise<void> {
  await db.deleteFrom('sandbox_bank_faults').execute()
}

/** Takes one call's worth of the oldest fault armed for the script, atomically; null when none is armed. */
export async function consumeFault (db: Handle, script: FaultScript): Promise<FaultMode | null> {
  const { rows } = await sql<{ mode: FaultMode }>`
    update sandbox_bank_faults set remaining = remaining - 1
    where id = (select id from sandbox_bank_faults where script = ${script} and remaining > 0 order by id limit 1 for update)
      and remaining > 0
    returning mode`.execute(db)
  return rows[0]?.mode ?? null
}

// What a merchant's request brings that may say something of the payer: the
// return URLs are the merchant's to fill (docs/architecture.md, personal data).
const RETURN_URL_PARAMS = ['pg_success_url', 'pg_failure_url']

/**
 * An erasure reaches the sandbox bank's records of the merchant's orders:
 * its copy of the return URLs goes (it keeps no contacts, insertPayment
 * drops them). Returns how many records changed.
 */
export async function eraseOrderRecords (db: Handle, orderIds: string[]): Promise<number> {
  if (orderIds.length === 0) return 0
  const result = await db.updateTable('sandbox_bank_payments')
    .set({ request_params: sql<string>`request_params - ${sql.val(RETURN_URL_PARAMS)}::text[]` })
    .where('order_id', 'in', orderIds)
    .where(sql<boolean>`request_params ?| ${sql.val(RETURN_URL_PARAMS)}::text[]`)
    .executeTakeFirst()
  return Number(result.numUpdatedRows)
}

/**
 * Forgets the oldest orders created before `before`, with their refunds and callbacks, at most `batch` of them: the
 * statement reads the first `batch` orders by id (ids grow with time) and takes those old enough, so it costs the
 * batch whatever the table holds. The number forgotten; fewer than `batch` when no older order is left at the head.
 */
export async function purgeOrdersBefore (db: Handle, before: Date, batch: number): Promise<number> {
  const { rows } = await sql<{ count: string }>`
    with head as (
      select id, created_at from sandbox_bank_payments order by id limit ${batch}
    ), gone as (
      select id from head where created_at < ${before}
    ), refunds as (
      delete from sandbox_bank_refunds where payment_id in (select id from gone)
    ), callbacks as (
      delete from sandbox_bank_callbacks where payment_id in (select id from gone)
    ), forgotten as (
      delete from sandbox_bank_payments where id in (select id from gone) returning 1
    )
    select count(*)::text as count from forgotten`.execute(db)
  return Number(rows[0]?.count ?? 0)
}
