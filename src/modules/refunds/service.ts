import type { Database, Handle } from '../../db/database.js'
import type { PiiCipher } from '../../lib/crypto.js'
import { normalizeEmail } from '../../lib/email.js'
import { fromPublicId, toPublicId, uuidv7 } from '../../lib/ids.js'
import { almatyDate } from '../../lib/calendar.js'
import { DomainError } from '../../lib/errors.js'
import { queueRefund } from './queue.js'
import { recordAudit, type Actor } from '../audit/service.js'
import { emailIndex } from '../../lib/blind-index.js'
import { findAcceptance } from '../acceptances/service.js'
import { businessDaysAfter } from '../calendar/service.js'
import { findPayment, recordPaymentEvent } from '../payments/service.js'
import { paymentNotFound } from '../payments/views.js'
import { queueRefundAnswer, queueRefundRequestReceived } from './mail.js'
import { publishRefundRequestEvent } from './events.js'
import { committedRefunds, findOpenRequest, findRefund, findRefundOfRequest, findRefundRequest, insertRefund, insertRefundRequest, listRefundRequests, listRefunds, payersOfRequests, updateRefundRequest, findLiveReturn, emailFailuresLocked, recordEmailFailure, purgeEmailFailures } from './repository.js'
import type { AdminRefundRequest, CreateRefundRequestInput, DecisionInput, RefundRequest } from './schemas.js'
import type { RefundRequestRow, RefundStatus } from './tables.js'
import type { PaymentRow } from '../payments/tables.js'
import { toAdminRefund, toAdminRefundRequest, toRefund, toRefundRequest, type UnreadableField } from './views.js'
import { EMPTY_PAGE, toPage } from '../../lib/page.js'

export { REFUND_TASK } from './queue.js'
// offer cl. 5: the refund is made within 5 business days of the agency's answer.
const REFUND_DUE_BUSINESS_DAYS = 5
// The answer a client's open request gets when the agency returns the whole payment (offer cl. 8).
const RETURN_CLOSES_REQUEST = 'Платёж возвращается агентством в полном объёме (п. 8 оферты): деньги вернутся на карту, с которой была оплата.'


interface Deps { db: Database, pii: PiiCipher, refundMaxAttempts: number }

/** Why a payment of another channel than the card is never refunded through the card bank. */
function notThroughTheBank (channel: string): string {
  return `This is a ${channel} payment: the bank that took cards never had it. Cancel it in ` +
    'the channel\'s own cabinet, then record that with POST /v1/admin/payments/{id}/external-refunds'
}



export async function listAdminRefunds (
  db: Database, query: { status?: RefundStatus, paymentId?: string, limit?: number, startingAfter?: string }
) {
  const limit = query.limit ?? 20
  const paymentId = query.paymentId === undefined ? undefined : fromPublicId('payment', query.paymentId)
  if (paymentId === null) return EMPTY_PAGE
  const rows = await listRefunds(db, {
    status: query.status,
    paymentId,
    limit,
    startingAfter: query.startingAfter === undefined ? null : fromPublicId('refund', query.startingAfter)
  })
  return toPage(rows, limit, (shown) => shown.map(toAdminRefund))
}

export async function getAdminRefund (db: Database, publicId: string) {
  const id = fromPublicId('refund', publicId)
  const row = id === null ? undefined : await findRefund(db, id)
  if (row === undefined) throw new DomainError('refund_not_found', 'No refund with this id')
  return toAdminRefund(row)
}


async function refundable (db: Parameters<typeof committedRefunds>[0], payment: PaymentRow): Promise<bigint> {
  return payment.amount - await committedRefunds(db, payment.id)
}

/** Wrong emails for one payment within an hour before it answers 404 to every email for the rest of that hour. */
const EMAIL_FAILURES_PER_HOUR = 5

/** Forgets the wrong-email counters whose hour has passed (the hourly purge); how many went. */
export async function purgeExpiredEmailFailures (db: Database): Promise<number> {
  return await purgeEmailFailures(db)
}

/**
 * offer cl. 5: the client's written request. The email must be the payer's;
 * otherwise the answer is the same as for an unknown payment, so the
 * endpoint reveals nothing about other people's payments.
 */
export async function submitRefundRequest (deps: Deps, input: CreateRefundRequestInput): Promise<RefundRequest> {
  const paymentId = fromPublicId('payment', input.paymentId)
  const payment = paymentId === null ? undefined : await findPayment(deps.db, paymentId)
  // a Kaspi payment has no acceptance, so no payer email to prove: it is refunded in Kaspi's cabinet (external-refunds)
  const acceptanceId = payment?.acceptance_id ?? null
  const acceptance = acceptanceId === null ? undefined : await findAcceptance(deps.db, acceptanceId)
  const email = normalizeEmail(input.email)
  if (payment === undefined || acceptance === undefined) throw paymentNotFound()
  // DESIGN 16: EMAIL_FAILURES_PER_HOUR wrong emails lock the payment for the hour, the right email included
  if (await emailFailuresLocked(deps.db, payment.id)) throw paymentNotFound()
  if (!email.ok || acceptance.payer_email_index !== emailIndex(deps.pii, email.email)) {
    await recordEmailFailure(deps.db, payment.id, EMAIL_FAILURES_PER_HOUR, 3600)
    throw paymentNotFound()
  }

  return await deps.db.transaction().execute(async (trx) => {
    const locked = await findPayment(trx, payment.id, { forUpdate: true }) as PaymentRow
    if (locked.status !== 'succeeded') throw new DomainError('payment_not_refundable', `Only a succeeded payment can be refunded; this one is ${locked.status}`)
    if (await findOpenRequest(trx, locked.id) !== undefined) throw new DomainError('refund_request_already_open', 'A refund request for this payment is already being handled')
    const remainder = await refundable(trx, locked)
    if (remainder <= 0n) throw new DomainError('payment_not_refundable', 'This payment has been refunded in full')
    const amount = input.amount === undefined ? remainder : BigInt(input.amount)
    if (amount > remainder) {
      throw new DomainError('amount_exceeds_refundable', 'The amount is more than can still be refunded', {
        facts: { refundable: Number(remainder) },
        errors: [{ path: 'body.amount', message: `must be at most ${remainder}` }]
      })
    }
    const row = await insertRefundRequest(trx, {
      id: uuidv7(),
      payment_id: locked.id,
      amount,
      reason_encrypted: deps.pii.encrypt(input.reason)
    })
    await recordPaymentEvent(trx, locked.id, 'refund_requested', { refundRequestId: toPublicId('refundRequest', row.id), amount: amount.toString() })
    await queueRefundRequestReceived(trx, row, locked)
    await publishRefundRequestEvent(trx, 'refund_request.submitted', row.id)
    return toRefundRequest(row, undefined)
  })
}

/**
 * A request and its refund as of one moment: read apart, a refund completing between the two reads showed
 * `succeeded` beside a request still `approved` (the worker sets both in one transaction).
 */
export async function getRefundRequest (db: Database, publicId: string): Promise<RefundRequest> {
  const id = fromPublicId('refundRequest', publicId)
  if (id === null) throw new DomainError('refund_request_not_found', 'No refund request with this id')
  return await db.transaction().setIsolationLevel('repeatable read').execute(async (trx) => {
    const row = await findRefundRequest(trx, id)
    if (row === undefined) throw new DomainError('refund_request_not_found', 'No refund request with this id')
    return toRefundRequest(row, await findRefundOfRequest(trx, row.id))
  })
}

/** Each request an operator is shown with its payer's reason and identity: one audit row per request. */
async function auditPayerReads (db: Handle, actor: Actor, rows: RefundRequestRow[]): Promise<void> {
  for (const row of rows) {
    await recordAudit(db, actor, {
      action: 'refund_request.payer_read', entityType: 'refund_request', entityId: toPublicId('refundRequest', row.id)
    })
  }
}

/** The back office's view of one request: the payer's reason and identity, decrypted; the read is audit-logged. */
export async function getAdminRefundRequest (
  deps: { db: Database, pii: PiiCipher }, actor: Actor, publicId: string, unreadable?: UnreadableField
): Promise<AdminRefundRequest> {
  const id = fromPublicId('refundRequest', publicId)
  if (id === null) throw new DomainError('refund_request_not_found', 'No refund request with this id')
  return await deps.db.transaction().setIsolationLevel('repeatable read').execute(async (trx) => {
    const row = await findRefundRequest(trx, id)
    if (row === undefined) throw new DomainError('refund_request_not_found', 'No refund request with this id')
    const payers = await payersOfRequests(trx, [row.id])
    await auditPayerReads(trx, actor, [row])
    return toAdminRefundRequest(deps.pii, row, await findRefundOfRequest(trx, row.id), payers.get(row.id), unreadable)
  })
}

export async function listRefundRequestsPage (
  deps: { db: Database, pii: PiiCipher },
  actor: Actor,
  query: { status?: RefundRequestRow['status'], overdue?: boolean, limit?: number, startingAfter?: string },
  unreadable?: UnreadableField
) {
  const limit = query.limit ?? 20
  // one snapshot for the requests and their refunds (getRefundRequest)
  return await deps.db.transaction().setIsolationLevel('repeatable read').execute(async (trx) => {
    const rows = await listRefundRequests(trx, {
      status: query.status,
      overdueBefore: query.overdue === true ? almatyDate(new Date()) : undefined,
      limit,
      startingAfter: query.startingAfter === undefined ? null : fromPublicId('refundRequest', query.startingAfter)
    })
    const page = toPage(rows, limit, async (shown) => {
      const payers = await payersOfRequests(trx, shown.map((row) => row.id))
      await auditPayerReads(trx, actor, shown)
      const views: AdminRefundRequest[] = []
      for (const row of shown) {
        const refund = await findRefundOfRequest(trx, row.id)
        views.push(toAdminRefundRequest(deps.pii, row, refund, payers.get(row.id), unreadable))
      }
      return views
    })
    return await page
  })
}

/**
 * The agency's official answer. Approval fixes the due date (5 business
 * days, Kazakhstan calendar) and queues the refund, under a lock on the
 * payment so concurrent decisions can never refund more than it took.
 */
export async function decideRefundRequest (
  deps: Deps, actor: Actor, publicId: string, input: DecisionInput
): Promise<RefundRequest> {
  const id = fromPublicId('refundRequest', publicId)
  if (id === null) throw new DomainError('refund_request_not_found', 'No refund request with this id')
  const decidedAt = new Date()
  const dueAt = input.decision === 'approve' ? await businessDaysAfter(deps.db, decidedAt, REFUND_DUE_BUSINESS_DAYS) : null
  const found = await findRefundRequest(deps.db, id)
  if (found === undefined) throw new DomainError('refund_request_not_found', 'No refund request with this id')
  return await deps.db.transaction().execute(async (trx) => {
    // Lock order everywhere: payment, then its refund request (a return takes the same path).
    const payment = await findPayment(trx, found.payment_id, { forUpdate: true }) as PaymentRow
    const request = await findRefundRequest(trx, id, { forUpdate: true }) as RefundRequestRow
    if (request.status !== 'submitted') throw new DomainError('refund_request_already_decided', `This request was already ${request.status}`)
    const decided = { response_text: input.responseText, decided_at: decidedAt, decided_by_key_id: actor.keyId }
    if (input.decision === 'reject') {
      const row = await updateRefundRequest(trx, id, { ...decided, status: 'rejected', open: false })
      await recordPaymentEvent(trx, request.payment_id, 'refund_rejected', { refundRequestId: publicId })
      await recordAudit(trx, actor, { action: 'refund_request.rejected', entityType: 'refund_request', entityId: publicId })
      await queueRefundAnswer(trx, row, payment)
      await publishRefundRequestEvent(trx, 'refund_request.decided', row.id)
      return toRefundRequest(row, undefined)
    }
    if (payment.status !== 'succeeded') throw new DomainError('payment_not_refundable', `The payment is ${payment.status}`)
    if (payment.channel !== 'card') throw new DomainError('payment_not_refundable', notThroughTheBank(payment.channel))
    const amount = input.amount === undefined ? request.amount : BigInt(input.amount)
    const remainder = await refundable(trx, payment)
    if (amount > remainder) {
      throw new DomainError('amount_exceeds_refundable', 'The amount is more than can still be refunded', {
        facts: { refundable: Number(remainder) }
      })
    }
    const row = await updateRefundRequest(trx, id, { ...decided, status: 'approved', amount, due_at: dueAt })
    const refund = await insertRefund(trx, { id: uuidv7(), payment_id: payment.id, refund_request_id: id, kind: 'refund', amount })
    await queueRefund(trx, refund, { maxAttempts: deps.refundMaxAttempts })
    await recordPaymentEvent(trx, payment.id, 'refund_approved', { refundRequestId: publicId, refundId: toPublicId('refund', refund.id), amount: amount.toString(), dueAt })
    await recordAudit(trx, actor, { action: 'refund_request.approved', entityType: 'refund_request', entityId: publicId, details: { amount: amount.toString(), dueAt } })
    await queueRefundAnswer(trx, row, payment)
    await publishRefundRequestEvent(trx, 'refund_request.decided', row.id)
    return toRefundRequest(row, refund)
  })
}

/**
 * offer cl. 8: the agency refuses a suspicious payment and returns the money:
 * everything not yet refunded goes back to the card; the payment ends
 * `returned` when the bank confirms. Undecided client requests are closed.
 */
export async function returnPayment (deps: Deps, actor: Actor, publicId: string, reason: string) {
  const paymentId = fromPublicId('payment', publicId)
  if (paymentId === null) throw paymentNotFound()
  return await deps.db.transaction().execute(async (trx) => {
    const payment = await findPayment(trx, paymentId, { forUpdate: true })
    if (payment === undefined) throw paymentNotFound()
    if (payment.status !== 'succeeded') throw new DomainError('payment_not_returnable', `Only a succeeded payment can be returned; this one is ${payment.status}`)
    // DESIGN 17: the card bank never sees a Kaspi payment; Kaspi's cabinet cancels it, and an operator records that
    if (payment.channel !== 'card') throw new DomainError('payment_not_returnable', notThroughTheBank(payment.channel))
    const pendingReturn = await findLiveReturn(trx, payment.id)
    if (pendingReturn !== undefined) throw new DomainError('payment_not_returnable', 'A return of this payment is already under way')
    const remainder = await refundable(trx, payment)
    if (remainder <= 0n) throw new DomainError('payment_not_returnable', 'Nothing is left to return: the payment was refunded in full')
    const open = await findOpenRequest(trx, payment.id)
    if (open !== undefined && open.status === 'submitted') {
      // offer cl. 5: the client's request gets the agency's answer, by email too
      const closed = await updateRefundRequest(trx, open.id, { status: 'rejected', open: false, response_text: RETURN_CLOSES_REQUEST, decided_at: new Date(), decided_by_key_id: actor.keyId })
      await queueRefundAnswer(trx, closed, payment)
      await publishRefundRequestEvent(trx, 'refund_request.decided', open.id)
    }
    const refund = await insertRefund(trx, { id: uuidv7(), payment_id: payment.id, refund_request_id: null, kind: 'return', amount: remainder, reason_encrypted: deps.pii.encrypt(reason) })
    await queueRefund(trx, refund, { maxAttempts: deps.refundMaxAttempts })
    await recordPaymentEvent(trx, payment.id, 'return_started', { refundId: toPublicId('refund', refund.id), amount: remainder.toString() })
    await recordAudit(trx, actor, { action: 'payment.returned', entityType: 'payment', entityId: publicId, details: { amount: remainder.toString() } })
    return toRefund(refund)
  })
}
