// The module's public surface (docs/architecture.md, notifications, side effects leave through an outbox): every email
// is an outbox row written in the caller's transaction, with the job that delivers it, so a message exists exactly when
// its fact commits. The module where the fact happens composes the message (payments/mail.ts, refunds/mail.ts,
// privacy/mail.ts: the data, the template, the recipient) and hands it to queueMail; this module keeps the outbox, the
// templates and the delivery, and reads no other module's rows.
import type { Database, Trx } from '../../db/database.js'
import type { PiiCipher } from '../../lib/crypto.js'
import { maskEmail } from '../../lib/email.js'
import { fromPublicId, toPublicId, uuidv7 } from '../../lib/ids.js'
import { enqueueJob } from '../../db/jobs.js'
import { emailIndex } from '../../lib/blind-index.js'
import { insertMail, listMail, listSent } from './repository.js'
import { type MailData, type MailStatus } from './tables.js'
import { placeholdersOf, type TemplateName } from './templates.js'
import type { MailRow } from './tables.js'
import { toPage } from '../../lib/page.js'
import type { Language } from '../../lib/languages.js'

export const MAIL_DELIVERY_TASK = 'mail-deliver'

/** An address as stored: encrypted with the PII cipher, with its blind index. */
export interface MailRecipient { encrypted: string, index: string }

export function recipientOf (pii: PiiCipher, email: string): MailRecipient {
  return { encrypted: pii.encrypt(email), index: emailIndex(pii, email) }
}

// The job may run this often; MAIL_MAX_ATTEMPTS (at most 25) decides at delivery which attempt is the last.
const JOB_MAX_ATTEMPTS = 25

/** Queues one message: checks the data against the template, inserts the row and its delivery job. */
export async function queueMail (
  trx: Trx,
  message: {
    template: TemplateName
    to: MailRecipient
    /** DESIGN 19: the reader's language (the acceptance's, the privacy request's); the data is formatted for it */
    language: Language
    data: MailData
    eraseRecipientAfterDelivery?: boolean
  }
): Promise<string> {
  const missing = placeholdersOf(message.template, message.language).filter((name) => message.data[name] === undefined)
  if (missing.length > 0) throw new Error(`mail ${message.template}: no value for ${missing.join(', ')}`)
  const row = await insertMail(trx, {
    id: uuidv7(),
    template: message.template,
    language: message.language,
    recipient_encrypted: message.to.encrypted,
    recipient_index: message.to.index,
    data: JSON.stringify(message.data),
    erase_recipient_after_delivery: message.eraseRecipientAfterDelivery ?? false
  })
  await enqueueJob(trx, MAIL_DELIVERY_TASK, { mailId: row.id }, { maxAttempts: JOB_MAX_ATTEMPTS, jobKey: `mail:${row.id}` })
  return row.id
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
export async function listOutboxPage (
  deps: { db: Database, pii: PiiCipher }, query: { status?: MailStatus, limit?: number, startingAfter?: string }
) {
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
