// The module's public surface (docs/architecture.md, notifications, side effects leave through an outbox): every email is
// an outbox row written in the caller's transaction, with the job that
// delivers it, so a message exists exactly when its fact commits. Each
// `queue…` function is one call at the place where the fact happens.
import type { Database, Trx } from '../../db/database.js'
import type { PiiCipher } from '../../lib/crypto.js'
import { maskEmail } from '../../lib/email.js'
import { fromPublicId, toPublicId, uuidv7 } from '../../lib/ids.js'
import { enqueueJob } from '../../db/jobs.js'
import { payerEmailOf } from '../acceptances/service.js'
import { emailIndex } from '../../lib/blind-index.js'
import { findDebt } from '../debts/service.js'
import { findPayment } from '../payments/service.js'
import { insertMail, listMail, listSent } from './repository.js'
import { type MailData, type MailStatus } from './tables.js'
import { cardEnding, formatAlmatyTime, formatDate, formatTenge, placeholdersOf, type TemplateName } from './templates.js'
import type { RefundRequestRow, RefundRow } from '../refunds/tables.js'
import type { PaymentRow } from '../payments/tables.js'
import type { MailRow } from './tables.js'
import { toPage } from '../../lib/page.js'

export const MAIL_DELIVERY_TASK = 'mail-deliver'

/** An address as stored: encrypted with the PII cipher, with its blind index. */
export interface MailRecipient { encrypted: string, index: string }

export function recipientOf (pii: PiiCipher, email: string): MailRecipient {
  return { encrypted: pii.encrypt(email), index: emailIndex(pii, email) }
}

// The job may run this often; MAIL_MAX_ATTEMPTS (at most 25) decides at delivery which attempt is the last.
const JOB_MAX_ATTEMPTS = 25

/** Queues one message: checks the data against the template, inserts the row and its delivery job. */
export async function queueMail (trx: Trx, message: { template: TemplateName, to: MailRecipient, data: MailData, eraseRecipientAfterDelivery?: boolean }): Promise<string> {
  const missing = placeholdersOf(message.template).filter((name) => message.data[name] === undefined)
  if (missing.length > 0) throw new Error(`mail ${message.template}: no value for ${missing.join(', ')}`)
  const row = await insertMail(trx, {
    id: uuidv7(),
    template: message.template,
    recipient_encrypted: message.to.encrypted,
    recipient_index: message.to.index,
    data: JSON.stringify(message.data),
    erase_recipient_after_delivery: message.eraseRecipientAfterDelivery ?? false
  })
  await enqueueJob(trx, MAIL_DELIVERY_TASK, { mailId: row.id }, { maxAttempts: JOB_MAX_ATTEMPTS, jobKey: `mail:${row.id}` })
  return row.id
}

async function payerOf (trx: Trx, payment: PaymentRow): Promise<MailRecipient> {
  const to = await payerEmailOf(trx, payment.acceptance_id)
  if (to === undefined) throw new Error(`payment ${payment.id} has no acceptance`)
  return to
}

async function contractOf (trx: Trx, payment: PaymentRow): Promise<{ contractNumber: string, creditor: string }> {
  const debt = await findDebt(trx, payment.debt_id)
  return { contractNumber: debt?.contract_number ?? '—', creditor: debt?.creditor ?? '—' }
}

async function paymentOf (trx: Trx, paymentId: string): Promise<PaymentRow> {
  const payment = await findPayment(trx, paymentId)
  if (payment === undefined) throw new Error(`no payment ${paymentId}`)
  return payment
}

/** After a success is settled: the receipt to the payer (amount, contract, creditor, date, bank id, requisites). */
export async function queuePaymentReceipt (trx: Trx, paymentId: string): Promise<void> {
  const payment = await paymentOf(trx, paymentId)
  const { contractNumber, creditor } = await contractOf(trx, payment)
  await queueMail(trx, {
    template: 'payment-receipt',
    to: await payerOf(trx, payment),
    data: {
      paymentId: toPublicId('payment', payment.id),
      amount: formatTenge(payment.amount),
      contractNumber,
      creditor,
      paidAt: formatAlmatyTime(payment.paid_at ?? new Date()),
      bankPaymentId: payment.bank_payment_id ?? '—',
      card: cardEnding(payment.card_mask)
    }
  })
}

type RequestFacts = Pick<RefundRequestRow, 'id' | 'payment_id' | 'amount' | 'created_at' | 'status' | 'response_text' | 'decided_at' | 'due_at'>

/** What every message about a refund request names. */
async function requestFacts (trx: Trx, request: RequestFacts, payment: Awaited<ReturnType<typeof paymentOf>>): Promise<Record<string, string>> {
  return {
    refundRequestId: toPublicId('refundRequest', request.id),
    paymentId: toPublicId('payment', payment.id),
    contractNumber: (await contractOf(trx, payment)).contractNumber,
    amount: formatTenge(request.amount)
  }
}

/** offer cl. 5: the client's written request is acknowledged. */
export async function queueRefundRequestReceived (trx: Trx, request: RequestFacts): Promise<void> {
  const payment = await paymentOf(trx, request.payment_id)
  await queueMail(trx, {
    template: 'refund-request-received',
    to: await payerOf(trx, payment),
    data: { ...await requestFacts(trx, request, payment), createdAt: formatAlmatyTime(request.created_at) }
  })
}

/** offer cl. 5: the agency's official answer, approved or rejected, with the operator's text. */
export async function queueRefundAnswer (trx: Trx, request: RequestFacts): Promise<void> {
  if (request.status === 'submitted') throw new Error('a refund request without a decision has no answer')
  const payment = await paymentOf(trx, request.payment_id)
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
export async function queueRefundPaid (trx: Trx, refund: Pick<RefundRow, 'id' | 'payment_id' | 'amount' | 'kind'>): Promise<void> {
  const payment = await paymentOf(trx, refund.payment_id)
  await queueMail(trx, {
    template: 'refund-paid',
    to: await payerOf(trx, payment),
    data: {
      reason: refund.kind === 'return' ? 'Агентство вернуло ваш платёж (п. 8 оферты).' : 'Ваш запрос на возврат исполнен.',
      refundId: toPublicId('refund', refund.id),
      paymentId: toPublicId('payment', payment.id),
      contractNumber: (await contractOf(trx, payment)).contractNumber,
      amount: formatTenge(refund.amount),
      card: cardEnding(payment.card_mask),
      completedAt: formatAlmatyTime(new Date())
    }
  })
}

/** docs/architecture.md, personal data: the one-time code of a consent withdrawal, to the address the request names. */
export async function queuePrivacyVerificationCode (trx: Trx, pii: PiiCipher, message: { email: string, code: string, expiresAt: Date }): Promise<void> {
  await queueMail(trx, {
    template: 'privacy-verification-code',
    to: recipientOf(pii, message.email),
    data: { code: message.code, expiresAt: formatAlmatyTime(message.expiresAt) }
  })
}

/**
 * offer cl. 16: the written confirmation that the data was destroyed. The
 * erasure has already run: the address is kept only until the message is
 * handed over (delivered or given up), then erased too.
 */
export async function queueDestructionConfirmation (trx: Trx, to: MailRecipient, confirmation: { requestId: string, confirmationNumber: string, completedAt: Date, confirmationUrl: string }): Promise<void> {
  await queueMail(trx, {
    template: 'privacy-destruction-confirmation',
    to,
    eraseRecipientAfterDelivery: true,
    data: {
      requestId: toPublicId('privacyRequest', confirmation.requestId),
      confirmationNumber: confirmation.confirmationNumber,
      completedAt: formatAlmatyTime(confirmation.completedAt),
      confirmationUrl: confirmation.confirmationUrl
    }
  })
}

// --- reading -------------------------------------------------------------------

function decryptedRecipient (pii: PiiCipher, row: MailRow): string {
  try {
    return pii.decrypt(row.recipient_encrypted)
  } catch {
    return '[unreadable]'
  }
}

export interface OutboxEntry {
  id: string
  template: string
  recipient: string
  status: MailStatus
  attempts: number
  lastError: string | null
  nextAttemptAt: string | null
  createdAt: string
  sentAt: string | null
}

/** For operators: what was sent, what waits, what failed; the recipient masked. */
export async function listOutboxPage (deps: { db: Database, pii: PiiCipher }, query: { status?: MailStatus, limit?: number, startingAfter?: string }) {
  const limit = query.limit ?? 20
  const rows = await listMail(deps.db, {
    status: query.status,
    limit,
    startingBefore: query.startingAfter === undefined ? null : fromPublicId('mail', query.startingAfter)
  })
  return toPage(rows, limit, (shown) => shown.map((row): OutboxEntry => ({
    id: toPublicId('mail', row.id),
    template: row.template,
    recipient: maskEmail(decryptedRecipient(deps.pii, row)),
    status: row.status,
    attempts: row.attempts,
    lastError: row.last_error,
    nextAttemptAt: row.status === 'queued' ? (row.next_attempt_at?.toISOString() ?? null) : null,
    createdAt: row.created_at.toISOString(),
    sentAt: row.sent_at?.toISOString() ?? null
  })))
}

export const MAILBOX_LIMIT = 200

/** MAIL_MODE=sandbox: the development mailbox is the sent rows, the last delivered first, the recipient in clear. */
export async function listSandboxMailbox (deps: { db: Database, pii: PiiCipher }, limit: number) {
  const rows = await listSent(deps.db, Math.min(limit, MAILBOX_LIMIT))
  return {
    messages: rows.map((row) => ({
      id: toPublicId('mail', row.id),
      template: row.template,
      to: decryptedRecipient(deps.pii, row),
      subject: row.subject ?? '',
      text: row.text_body ?? '',
      sentAt: row.sent_at?.toISOString() ?? null
    }))
  }
}
