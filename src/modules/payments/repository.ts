import { sql, type Insertable, type RawBuilder, type Updateable } from 'kysely'
import type { Handle, Trx } from '../../db/database.js'
import type { Tombstone } from '../../lib/erasure.js'
import { toPublicId } from '../../lib/ids.js'
import { debtMatchingSql, debtOfCreditorsSql, type DebtMatch } from '../debts/service.js'
import type {
  BankCallbackRow, BankCallbacksTable, KaspiTransactionsTable, PaymentChannel, PaymentEventRow, PaymentRow,
  PaymentStatus, PaymentsTable
} from './tables.js'


export async function insertPayment (db: Handle, row: Insertable<PaymentsTable>): Promise<PaymentRow> {
  return await db.insertInto('payments').values(row).returningAll().executeTakeFirstOrThrow()
}

export async function findPayment (
  db: Handle, id: string, options: { forUpdate?: boolean } = {}
): Promise<PaymentRow | undefined> {
  let query = db.selectFrom('payments').selectAll().where('id', '=', id)
  if (options.forUpdate === true) query = query.forUpdate()
  return await query.executeTakeFirst()
}

/** Changes a payment only if it is still in one of the expected states. */
export async function updatePayment (
  db: Handle, id: string, expected: PaymentStatus[], changes: Updateable<PaymentsTable>
): Promise<PaymentRow | undefined> {
  return await db.updateTable('payments').set({ ...changes, updated_at: new Date() })
    .where('id', '=', id).where('status', 'in', expected)
    .returningAll().executeTakeFirst()
}

export async function recordEvent (
  db: Handle, paymentId: string, type: string, details: Record<string, unknown> = {}
): Promise<void> {
  await db.insertInto('payment_events').values({ payment_id: paymentId, type, details: JSON.stringify(details) }).execute()
}

export async function listEvents (db: Handle, paymentId: string): Promise<PaymentEventRow[]> {
  return await db.selectFrom('payment_events').selectAll().where('payment_id', '=', paymentId).orderBy('id').execute()
}

export async function listCallbacks (db: Handle, paymentId: string): Promise<BankCallbackRow[]> {
  return await db.selectFrom('bank_callbacks').selectAll().where('payment_id', '=', paymentId).orderBy('id').execute()
}

// --- risk counters (blind indexes only) --------------------------------------

/**
 * How many of the subject's payments since `since`, counted up to `limit`: a rule needs to know whether the limit is
 * reached, not by how much, so a busy address costs at most `limit` index entries however much it pays.
 */
export async function countPaymentsSince (
  db: Handle, column: 'ip_index' | 'iin_index' | 'email_index', value: string, since: Date, limit: number,
  statuses?: PaymentStatus[]
): Promise<number> {
  let inner = db.selectFrom('payments').select(sql<number>`1`.as('one'))
    .where(column, '=', value).where('created_at', '>=', since)
  if (statuses !== undefined) inner = inner.where('status', 'in', statuses)
  const { n } = await db.selectFrom(inner.limit(limit).as('hits')).select((eb) => eb.fn.countAll<bigint>().as('n'))
    .executeTakeFirstOrThrow()
  return Number(n)
}

export async function recordRefusal (
  db: Handle,
  row: {
    acceptance_id: string
    reason: string
    amount: bigint
    ip_index: string
    iin_index: string
    email_index: string
  }
): Promise<void> {
  await db.insertInto('payment_refusals').values(row).execute()
}

// --- erasure (offer cl. 16; privacy's erasure calls these through ./erasure.ts) ------------------------------

/** Their payments, locked in id order so a refund decision on them waits for the erasure (and the other way round). */
export async function lockPaymentsOf (
  db: Handle, acceptanceIds: string[]
): Promise<Array<{ id: string, status: string }>> {
  if (acceptanceIds.length === 0) return []
  return await db.selectFrom('payments').select(['id', 'status'])
    .where('acceptance_id', 'in', acceptanceIds).orderBy('id').forUpdate().execute()
}

/** The raw callbacks carry the payer's email, phone and IP (pg_user_*); the verdict and our reply stay. */
export async function eraseCallbacks (db: Handle, paymentIds: string[], tombstone: Tombstone): Promise<number> {
  if (paymentIds.length === 0) return 0
  // by payment, and by order id: a callback stored before it could be matched names the order only
  const orderIds = paymentIds.map((id) => toPublicId('payment', id))
  const result = await db.updateTable('bank_callbacks').set({ raw_encrypted: tombstone.emptyJson })
    .where((eb) => eb.or([eb('payment_id', 'in', paymentIds), eb('order_id', 'in', orderIds)])).executeTakeFirst()
  return Number(result.numUpdatedRows)
}

/**
 * Return URLs may carry anything the site put in them: gone with the payer's
 * email and IP indexes. The payments' IIN index stays: it is the debtor's,
 * from the creditor's portfolio (the debt keeps the same), processed to
 * collect the claim, a legal basis other than the payer's consent.
 */
export async function erasePayments (db: Handle, acceptanceIds: string[], tombstone: Tombstone): Promise<number> {
  if (acceptanceIds.length === 0) return 0
  const result = await db.updateTable('payments')
    .set({ email_index: tombstone.index, ip_index: tombstone.index, phone_index: tombstone.index, return_url: null })
    .where('acceptance_id', 'in', acceptanceIds).executeTakeFirst()
  await db.updateTable('payment_refusals').set({ email_index: tombstone.index, ip_index: tombstone.index })
    .where('acceptance_id', 'in', acceptanceIds).execute()
  return Number(result.numUpdatedRows)
}

// --- callbacks ---------------------------------------------------------------

/** Serialises handlers of one callback (the bank may send it many times at once). */
export async function lockCallbackKey (trx: Trx, dedupeKey: string): Promise<void> {
  await sql`select pg_advisory_xact_lock(hashtextextended(${dedupeKey}, 0))`.execute(trx)
}

export async function findCallbackByKey (db: Handle, dedupeKey: string): Promise<BankCallbackRow | undefined> {
  return await db.selectFrom('bank_callbacks').selectAll().where('dedupe_key', '=', dedupeKey).executeTakeFirst()
}

export async function insertCallback (db: Handle, row: Insertable<BankCallbacksTable>): Promise<void> {
  await db.insertInto('bank_callbacks').values(row).execute()
}

/** Invalid-signature callbacks logged in the last `seconds` (by the database's clock; a partial index serves it). */
export async function countRecentInvalidCallbacks (db: Handle, seconds: number): Promise<number> {
  const { n } = await db.selectFrom('bank_callbacks').select((eb) => eb.fn.countAll<bigint>().as('n'))
    .where('signature_valid', '=', false).where('received_at', '>=', sql<Date>`now() - make_interval(secs => ${seconds})`)
    .executeTakeFirstOrThrow()
  return Number(n)
}

/** Forgets invalid-signature callbacks older than `seconds`; valid ones are kept for good. */
export async function purgeOldInvalidCallbacks (db: Handle, seconds: number): Promise<number> {
  const result = await db.deleteFrom('bank_callbacks')
    .where('signature_valid', '=', false).where('received_at', '<', sql<Date>`now() - make_interval(secs => ${seconds})`)
    .executeTakeFirst()
  return Number(result.numDeletedRows)
}

// --- admin and jobs -------------------------------------------------------

export interface PaymentFilter {
  status?: PaymentStatus
  from?: Date
  to?: Date
  debtIds?: string[]
  needsReview?: boolean
  channel?: PaymentChannel
  /** The payer's blind indexes (card payments; the phone's since migration 0038) */
  emailIndex?: string
  phoneIndex?: string
  /** What the payment's debt must match: the debtor's IIN, the payment code, the creditor */
  debt?: DebtMatch
  limit: number
  startingAfter: string | null
}

export async function listPayments (db: Handle, filter: PaymentFilter): Promise<PaymentRow[]> {
  let query = db.selectFrom('payments').selectAll().orderBy('id', 'desc').limit(filter.limit + 1)
  if (filter.status !== undefined) query = query.where('status', '=', filter.status)
  if (filter.from !== undefined) query = query.where('created_at', '>=', filter.from)
  if (filter.to !== undefined) query = query.where('created_at', '<', filter.to)
  if (filter.debtIds !== undefined) query = query.where('debt_id', 'in', filter.debtIds.length > 0 ? filter.debtIds : ['00000000-0000-0000-0000-000000000000'])
  if (filter.needsReview !== undefined) query = query.where('needs_review', '=', filter.needsReview)
  if (filter.channel !== undefined) query = query.where('channel', '=', filter.channel)
  if (filter.emailIndex !== undefined) query = query.where('email_index', '=', filter.emailIndex)
  if (filter.phoneIndex !== undefined) query = query.where('phone_index', '=', filter.phoneIndex)
  if (filter.debt !== undefined) query = query.where(debtMatchingSql(sql.ref('debt_id'), filter.debt))
  if (filter.startingAfter !== null) query = query.where('id', '<', filter.startingAfter)
  return await query.execute()
}

// --- holds at the check -------------------------------------------------------

/** Tiyn held on a debt by pending payments the bank's check let through, this one excepted. */
/** A partner's window: payments on the debts of its creditors only (another creditor's are simply not found). */
function paymentsOfCreditors (db: Handle, creditors: string[]) {
  return db.selectFrom('payments').selectAll('payments').where(debtOfCreditorsSql(sql.ref('payments.debt_id'), creditors))
}

export async function listCreditorPayments (
  db: Handle,
  creditors: string[],
  filter: { status?: PaymentStatus, from?: Date, to?: Date, limit: number, startingAfter: string | null }
): Promise<PaymentRow[]> {
  let query = paymentsOfCreditors(db, creditors).orderBy('payments.id', 'desc').limit(filter.limit + 1)
  if (filter.status !== undefined) query = query.where('payments.status', '=', filter.status)
  if (filter.from !== undefined) query = query.where('payments.created_at', '>=', filter.from)
  if (filter.to !== undefined) query = query.where('payments.created_at', '<', filter.to)
  if (filter.startingAfter !== null) query = query.where('payments.id', '<', filter.startingAfter)
  return await query.execute()
}

export async function findCreditorPayment (
  db: Handle, creditors: string[], id: string
): Promise<PaymentRow | undefined> {
  return await paymentsOfCreditors(db, creditors).where('payments.id', '=', id).executeTakeFirst()
}

export async function heldOnDebt (db: Handle, debtId: string, exceptPaymentId: string): Promise<bigint> {
  const { held } = await db.selectFrom('payments')
    .select(sql<bigint>`coalesce(sum(amount), 0)::bigint`.as('held'))
    .where('debt_id', '=', debtId).where('status', '=', 'pending')
    .where('check_passed_at', 'is not', null).where('id', '<>', exceptPaymentId)
    .executeTakeFirstOrThrow()
  return held
}

/** The check let it through: its amount is held from now on (a repeated check keeps the first time). */
export async function holdAtCheck (db: Handle, paymentId: string): Promise<void> {
  await db.updateTable('payments').set({ check_passed_at: sql<Date>`coalesce(check_passed_at, now())` })
    .where('id', '=', paymentId).where('status', '=', 'pending').execute()
}

// --- reconciliation ----------------------------------------------------------

export interface ReconcileSchedule {
  /** The first wait, and the unit of the backoff: after the n-th ask, wait firstSeconds * 2^n. */
  firstSeconds: number
  maxSeconds: number
}

/**
 * Claims the due pending payments, earliest due first, and moves each one's
 * next check on by the backoff (never past its lifetime while it has one
 * left: it is asked then, before anything expires it). Claimed and
 * rescheduled in one statement, so a crash mid-run or a second worker
 * never asks twice in a row, and a payment the bank cannot answer about
 * goes behind the others instead of starving them. Flagged payments
 * (needsReview) are an operator's and are not claimed.
 */
export async function claimPaymentsToReconcile (
  db: Handle, now: Date, limit: number, schedule: ReconcileSchedule
): Promise<PaymentRow[]> {
  const due = db.selectFrom('payments').select('id')
    .where('status', '=', 'pending').where('needs_review', '=', false)
    .where('next_check_at', 'is not', null).where('next_check_at', '<=', now)
    .orderBy('next_check_at').orderBy('id').limit(limit)
    .forUpdate().skipLocked()
  const wait = sql`make_interval(secs => least(${schedule.maxSeconds}::float8, ${schedule.firstSeconds}::float8 * power(2, least(check_attempts + 1, 30))))`
  const next = sql<Date>`case when expires_at > ${now} then least(expires_at, ${now}::timestamptz + ${wait}) else ${now}::timestamptz + ${wait} end`
  return await db.updateTable('payments')
    .set({ next_check_at: next, check_attempts: sql<number>`check_attempts + 1` })
    .where('id', 'in', due)
    .returningAll().execute()
}

/** Asks about a payment at the next run (after a timed-out init: the bank may have the order). */
export async function checkSoon (db: Handle, paymentId: string, at: Date): Promise<void> {
  await db.updateTable('payments').set({ next_check_at: at })
    .where('id', '=', paymentId).where('status', '=', 'pending').execute()
}

/** Locks every payment of these debts, in id order. */
export async function lockPaymentRowsOfDebts (trx: Trx, debtIds: string[]): Promise<void> {
  await trx.selectFrom('payments').select('id').where('debt_id', 'in', debtIds).orderBy('id').forUpdate().execute()
}

/** `debtIds`: a query of the debts' own tables (`select d.id …`), built by the debts' repository. */
export async function lockPaymentRowsOfSelectedDebts (trx: Trx, debtIds: RawBuilder<unknown>): Promise<void> {
  await sql`
    select p.id from payments p
     where p.debt_id in (${debtIds})
     order by p.id for update of p`.execute(trx)
}

/** Sets the payment aside for an operator, whatever its status. */
/** Sets settled_at on succeeded payments not settled yet; the number set. */
export async function markSettled (trx: Trx, ids: string[], at: Date): Promise<number> {
  const result = await trx.updateTable('payments').set({ settled_at: at, updated_at: new Date() })
    .where('id', 'in', ids).where('status', '=', 'succeeded').where('settled_at', 'is', null).executeTakeFirst()
  return Number(result.numUpdatedRows)
}

export async function flagForReview (trx: Trx, id: string, reason: string): Promise<void> {
  await trx.updateTable('payments').set({ needs_review: true, review_reason: reason, updated_at: new Date() }).where('id', '=', id).execute()
}

// --- Kaspi transactions --------------------------------------------------------

/** Holds a Kaspi transaction id until the transaction ends; waits at most the transaction's lock_timeout. */
export async function lockKaspiTxn (trx: Trx, txnId: string, lockTimeout: string): Promise<void> {
  await sql`set local lock_timeout = ${sql.lit(lockTimeout)}`.execute(trx)
  await sql`select pg_advisory_xact_lock(hashtextextended(${`kaspi:${txnId}`}, 0))`.execute(trx)
}

export async function findKaspiAnswer (db: Handle, txnId: string): Promise<string | undefined> {
  return (await db.selectFrom('kaspi_transactions').select('answer').where('txn_id', '=', txnId).executeTakeFirst())
    ?.answer
}

/** Our next transaction id for Kaspi (digits). */
export async function nextKaspiPrvTxnId (trx: Trx): Promise<string> {
  const { rows } = await sql<{ id: string }>`select nextval('kaspi_prv_txn_id')::text as id`.execute(trx)
  return (rows[0] as { id: string }).id
}

export async function insertKaspiTransaction (trx: Trx, row: Insertable<KaspiTransactionsTable>): Promise<void> {
  await trx.insertInto('kaspi_transactions').values(row).execute()
}
