// The messages of a personal-data request (docs/architecture.md, personal data; offer cl. 16), composed here; the
// notifications module only keeps the outbox, the templates and the delivery.
import type { Trx } from '../../db/database.js'
import type { PiiCipher } from '../../lib/crypto.js'
import { toPublicId } from '../../lib/ids.js'
import { queueMail, recipientOf, type MailRecipient } from '../notifications/service.js'
import { formatAlmatyTime } from '../notifications/templates.js'
import type { Language } from '../../lib/languages.js'

/** The one-time code of a consent withdrawal, to the address the request names, in the request's language. */
export async function queuePrivacyVerificationCode (
  trx: Trx, pii: PiiCipher, message: { email: string, code: string, expiresAt: Date, language: Language }
): Promise<void> {
  await queueMail(trx, {
    template: 'privacy-verification-code',
    to: recipientOf(pii, message.email),
    language: message.language,
    data: { code: message.code, expiresAt: formatAlmatyTime(message.expiresAt, message.language) }
  })
}

/**
 * offer cl. 16: the written confirmation that the data was destroyed. The
 * erasure has already run: the address is kept only until the message is
 * handed over (delivered or given up), then erased too.
 */
export async function queueDestructionConfirmation (
  trx: Trx,
  to: MailRecipient,
  confirmation: {
    requestId: string, confirmationNumber: string, completedAt: Date, confirmationUrl: string, language: Language
  }
): Promise<void> {
  await queueMail(trx, {
    template: 'privacy-destruction-confirmation',
    to,
    language: confirmation.language,
    eraseRecipientAfterDelivery: true,
    data: {
      requestId: toPublicId('privacyRequest', confirmation.requestId),
      confirmationNumber: confirmation.confirmationNumber,
      completedAt: formatAlmatyTime(confirmation.completedAt, confirmation.language),
      confirmationUrl: confirmation.confirmationUrl
    }
  })
}
