// The worker's part: render the outbox row, hand it to the mail server,
// record the outcome. graphile-worker retries a failed attempt with its
// exponential backoff; after MAIL_MAX_ATTEMPTS the row is `failed`, which
// operators see at GET /v1/admin/mail-outbox?status=failed. In sandbox mode
// nothing leaves the machine: the row, marked sent, is the mailbox.
import nodemailer from 'nodemailer'
import type { FastifyBaseLogger } from 'fastify'
import type { Config } from '../../config.js'
import type { Database } from '../../db/database.js'
import { containsCardNumber } from '../../lib/card-data.js'
import type { PiiCipher } from '../../lib/crypto.js'
import { normalizeEmail } from '../../lib/email.js'
import { toPublicId } from '../../lib/ids.js'
import { findMail, recordDelivery } from './repository.js'
import { isTemplateName, renderMail, type RenderedMail } from './templates.js'
import { languageOr } from '../../lib/languages.js'
import type { MailRow } from './tables.js'

export interface OutgoingMail {
  from: string
  to: string
  subject: string
  text: string
  /** Stable per outbox row: a message delivered twice (at least once) is recognisable. */
  messageId: string
}

export interface MailTransport {
  /** Resolves when the server accepted the message; throws otherwise. */
  send: (message: OutgoingMail) => Promise<void>
  close: () => void
}

export function createMailTransport (mail: Config['mail']): MailTransport {
  if (mail.mode === 'sandbox' || mail.smtpUrl === null) return { send: async () => {}, close: () => {} }
  const transporter = nodemailer.createTransport({
    url: mail.smtpUrl,
    connectionTimeout: 15_000,
    greetingTimeout: 15_000,
    socketTimeout: 30_000,
    // nodemailer's own logging prints the conversation: addresses and AUTH
    logger: false,
    debug: false
  })
  return {
    send: async (message) => {
      await transporter.sendMail({
        from: message.from,
        to: message.to,
        subject: message.subject,
        text: message.text,
        messageId: message.messageId,
        disableFileAccess: true,
        disableUrlAccess: true
      })
    },
    close: () => { transporter.close() }
  }
}

export interface DeliveryDeps { db: Database, pii: PiiCipher, config: Pick<Config, 'mail' | 'agency'>, transport: MailTransport, log: FastifyBaseLogger }

/** A mail server's words, fit to keep and show: no address, no credentials, bounded. */
export function describeFailure (error: unknown): string {
  const text = error instanceof Error ? error.message : String(error)
  return text
    .replace(/[a-z][a-z0-9+.-]*:\/\/[^\s/@]*@/gi, (m) => `${m.slice(0, m.indexOf('://') + 3)}[credentials]@`)
    .replace(/[^\s<>()"',;:@]+@[^\s<>()"',;]+/g, '[address]')
    .slice(0, 500)
}

class PermanentFailure extends Error {}

function compose (row: MailRow, deps: DeliveryDeps): { message: RenderedMail, to: string } {
  if (!isTemplateName(row.template)) throw new PermanentFailure(`unknown template ${row.template}`)
  let message: RenderedMail
  try {
    message = renderMail(row.template, row.data, deps.config.agency, languageOr(row.language))
  } catch (error) {
    throw new PermanentFailure(error instanceof Error ? error.message : String(error))
  }
  // defence in depth: no email ever carries card data (docs/architecture.md, notifications)
  if (containsCardNumber(message.subject) || containsCardNumber(message.text)) throw new PermanentFailure('refused: the message looks like it holds a card number')
  let address: string
  try {
    address = deps.pii.decrypt(row.recipient_encrypted)
  } catch {
    throw new PermanentFailure('the recipient cannot be decrypted')
  }
  const email = normalizeEmail(address)
  if (!email.ok) throw new PermanentFailure('the recipient is not an email address (erased?)')
  return { message, to: email.email }
}

function messageIdOf (row: MailRow, from: string): string {
  const domain = /@([^\s<>]+)>?\s*$/.exec(from)?.[1] ?? 'localhost'
  return `<${row.id}@${domain}>`
}

/** graphile-worker's wait before the next attempt: exp(min(attempts, 10)) seconds. */
function nextAttemptAt (attempt: number, now = new Date()): Date {
  return new Date(now.getTime() + Math.round(Math.exp(Math.min(attempt, 10)) * 1000))
}

/**
 * A message sent after an erasure (the destruction confirmation) keeps its
 * recipient only until it is handed over. The sandbox mailbox is the
 * exception: a development tool, it goes on showing whom the message was for.
 */
function forgetRecipient (row: MailRow, deps: DeliveryDeps): { recipient_encrypted: string } | Record<string, never> {
  if (!row.erase_recipient_after_delivery || deps.config.mail.mode === 'sandbox') return {}
  return { recipient_encrypted: deps.pii.encrypt('[erased]') }
}

const CODE_MASK = '••••••'

/**
 * What the outbox keeps of a sent message. A one-time code is a secret:
 * once handed to the mail server it is kept neither in the facts nor in the
 * text (the request keeps only its HMAC). The sandbox mailbox, a
 * development tool, shows it.
 */
function keptCopy (
  row: MailRow, message: RenderedMail, deps: DeliveryDeps
): { subject: string, text_body: string, data?: string } {
  const code = row.data.code
  if (row.template !== 'privacy-verification-code' || deps.config.mail.mode === 'sandbox' || code === undefined || code === '') {
    return { subject: message.subject, text_body: message.text }
  }
  return {
    subject: message.subject.replaceAll(code, CODE_MASK),
    text_body: message.text.replaceAll(code, CODE_MASK),
    data: JSON.stringify({ ...row.data, code: CODE_MASK })
  }
}

export async function deliverMail (
  deps: DeliveryDeps, mailId: string, attempt: { number: number, max: number }
): Promise<void> {
  const db = deps.db
  const row = await findMail(db, mailId)
  if (row === undefined || row.status !== 'queued') return
  const publicId = toPublicId('mail', row.id)
  const last = attempt.number >= Math.min(attempt.max, deps.config.mail.maxAttempts)
  let composed: { message: RenderedMail, to: string } | undefined
  try {
    composed = compose(row, deps)
    await deps.transport.send({
      from: deps.config.mail.from,
      to: composed.to,
      subject: composed.message.subject,
      text: composed.message.text,
      messageId: messageIdOf(row, deps.config.mail.from)
    })
  } catch (error) {
    const reason = describeFailure(error)
    const final = last || error instanceof PermanentFailure
    await recordDelivery(db, row, {
      attempts: attempt.number,
      last_error: reason,
      status: final ? 'failed' : 'queued',
      next_attempt_at: final ? null : nextAttemptAt(attempt.number),
      ...(composed !== undefined ? { subject: composed.message.subject, text_body: composed.message.text } : {}),
      ...(final ? forgetRecipient(row, deps) : {})
    })
    deps.log.warn({ mailId: publicId, template: row.template, attempt: attempt.number, final, reason }, final ? 'email not delivered: given up' : 'email not delivered: will retry')
    if (final) return
    throw new Error(reason) // graphile-worker retries with backoff
  }
  const recorded = await recordDelivery(db, row, {
    status: 'sent',
    sent_at: new Date(),
    attempts: attempt.number,
    last_error: null,
    next_attempt_at: null,
    ...keptCopy(row, composed.message, deps),
    ...forgetRecipient(row, deps)
  })
  if (!recorded) {
    deps.log.info({ mailId: publicId, template: row.template }, 'email delivered while its recipient\'s data was erased: the erasure stands')
    return
  }
  deps.log.info({ mailId: publicId, template: row.template }, deps.config.mail.mode === 'sandbox' ? 'email kept in the sandbox mailbox' : 'email delivered')
}
