import type { Database, Handle } from '../../db/database.js'
import type { PiiCipher } from '../../lib/crypto.js'
import { emailIndex, ipIndex } from '../../lib/blind-index.js'
import { normalizeEmail } from '../../lib/email.js'
import { fromPublicId, toPublicId, uuidv7 } from '../../lib/ids.js'
import { normalizeName } from '../../lib/names.js'
import { normalizeKzPhone } from '../../lib/phone.js'
import { DomainError } from '../../lib/errors.js'
import { findDebt } from '../debts/service.js'
import { debtNotFound } from '../debts/service.js'
import { currentOfferIn } from '../offers/service.js'
import { languageOr, type Language } from '../../lib/languages.js'
import { paymentLinkNotFound, resolvePaymentLink } from '../payment-links/service.js'
import type { DebtRow } from '../debts/tables.js'
import { findAcceptance, insertAcceptance } from './repository.js'
import type { Acceptance, AcceptanceInput } from './schemas.js'
import type { AcceptanceRow } from './tables.js'

interface Deps { db: Database, pii: PiiCipher }
export interface RequestEvidence { ip: string, userAgent: string | null }

/**
 * The debt accepted for: the lookup's `debtId`, or a payment link's token (DESIGN 17; the letter proves possession,
 * so the contract's lookup lock does not apply). Exactly one of the two. A debt no longer payable answers as the
 * way it was named does: the lookup's 404, or the link's.
 */
async function debtToAccept (
  db: Database, input: AcceptanceInput
): Promise<{ debt: DebtRow, paymentLinkId: string | null }> {
  if ((input.debtId === undefined) === (input.paymentLinkToken === undefined)) {
    throw new DomainError('invalid_debt_reference', 'Name the debt once: either debtId (from the lookup) or paymentLinkToken (from a letter)', { errors: [{ path: 'body.paymentLinkToken', message: 'give exactly one of debtId and paymentLinkToken' }] })
  }
  if (input.paymentLinkToken !== undefined) {
    const link = await resolvePaymentLink(db, input.paymentLinkToken)
    const debt = await findDebt(db, link.debtId)
    if (debt === undefined || debt.status !== 'active') throw paymentLinkNotFound()
    return { debt, paymentLinkId: link.id }
  }
  const debtId = fromPublicId('debt', input.debtId as string)
  const debt = debtId === null ? undefined : await findDebt(db, debtId)
  if (debt === undefined || debt.status !== 'active') throw debtNotFound()
  return { debt, paymentLinkId: null }
}

// offer cl. 15: consent for ten years; a started payment must follow soon after reading.
const CONSENT_YEARS = 10
const PAYABLE_FOR_MS = 24 * 60 * 60 * 1000

export function toAcceptance (row: AcceptanceRow): Acceptance {
  return {
    id: toPublicId('acceptance', row.id),
    offerVersion: row.offer_version,
    offerLanguage: languageOr(row.offer_language),
    debtId: toPublicId('debt', row.debt_id),
    acceptedAt: row.accepted_at.toISOString(),
    consentExpiresAt: row.consent_expires_at.toISOString(),
    payableUntil: row.payable_until.toISOString()
  }
}

/**
 * offer cl. 2, 14, 18: paying means accepting the offer. The evidence kept:
 * which text (version and hash), when, from where, by whom, and the consent.
 */
export async function acceptOffer (deps: Deps, input: AcceptanceInput, evidence: RequestEvidence): Promise<Acceptance> {
  if (!input.personalDataConsent) {
    throw new DomainError('consent_required', 'Consent to the processing of personal data is required to accept the offer (offer cl. 14)', { errors: [{ path: 'body.personalDataConsent', message: 'must be true' }] })
  }
  const email = normalizeEmail(input.payer.email)
  if (!email.ok) throw new DomainError('invalid_email', 'The email address is not valid', { errors: [{ path: 'body.payer.email', message: 'not a valid email address' }] })
  const phone = normalizeKzPhone(input.payer.phone)
  if (!phone.ok) {
    const message = phone.reason === 'not_kazakhstan' ? 'not a Kazakhstan number (+7 7xx…)' : 'not a phone number'
    throw new DomainError('invalid_phone', `The phone number is not valid: ${message}`, { errors: [{ path: 'body.payer.phone', message }] })
  }
  const fullName = normalizeName(input.payer.fullName)
  if (fullName === '') throw new DomainError('invalid_full_name', 'The full name is empty', { errors: [{ path: 'body.payer.fullName', message: 'must not be blank' }] })

  // DESIGN 19: the pair (language, sha256) must be a text of the current version
  const language = input.offerLanguage ?? 'ru'
  const { version: currentVersion, row: offer } = await currentOfferIn(deps.db, language)
  if (offer === undefined || offer.version !== input.offerVersion || offer.sha256 !== input.offerSha256) {
    throw new DomainError('offer_outdated', 'The offer has changed since it was read: show the current version and ask again', {
      facts: { currentVersion: currentVersion ?? null, currentSha256: offer?.sha256 ?? null }
    })
  }
  const { debt, paymentLinkId } = await debtToAccept(deps.db, input)

  const now = new Date()
  const consentExpiresAt = new Date(now)
  consentExpiresAt.setUTCFullYear(consentExpiresAt.getUTCFullYear() + CONSENT_YEARS)
  const row = await insertAcceptance(deps.db, {
    id: uuidv7(),
    offer_id: offer.id,
    offer_version: offer.version,
    offer_sha256: offer.sha256,
    offer_language: language,
    debt_id: debt.id,
    payment_link_id: paymentLinkId,
    payer_full_name_encrypted: deps.pii.encrypt(fullName),
    payer_email_encrypted: deps.pii.encrypt(email.email),
    payer_email_index: emailIndex(deps.pii, email.email),
    payer_phone_encrypted: deps.pii.encrypt(phone.e164),
    ip_encrypted: deps.pii.encrypt(evidence.ip),
    ip_index: ipIndex(deps.pii, evidence.ip),
    user_agent: evidence.userAgent?.slice(0, 500) ?? null,
    personal_data_consent: true,
    accepted_at: now,
    consent_expires_at: consentExpiresAt,
    payable_until: new Date(now.getTime() + PAYABLE_FOR_MS)
  })
  return toAcceptance(row)
}

// offer cl. 16: after a withdrawal, the data is not processed for new purposes.
export function assertConsentActive (row: AcceptanceRow): void {
  if (row.consent_withdrawn_at !== null) throw new DomainError('consent_withdrawn', 'Consent to the processing of personal data was withdrawn: accept the offer again to pay')
}

export async function findFreshAcceptance (db: Database, publicId: string): Promise<AcceptanceRow> {
  const id = fromPublicId('acceptance', publicId)
  const row = id === null ? undefined : await findAcceptance(db, id)
  if (row === undefined) throw new DomainError('acceptance_not_found', 'No acceptance of the offer with this id: accept the offer first', { errors: [{ path: 'body.acceptanceId', message: 'unknown' }] })
  if (row.payable_until.getTime() < Date.now()) throw new DomainError('acceptance_expired', 'This acceptance is older than 24 hours: read and accept the current offer again')
  assertConsentActive(row)
  return row
}

/**
 * Where to write to the payer of an acceptance: the email as stored
 * (encrypted) with its blind index, so a message can be queued without the
 * address ever being in clear, and the language the payer read the offer in
 * (DESIGN 19: their emails are in it); undefined for an unknown acceptance.
 */
export async function payerEmailOf (
  db: Handle, acceptanceId: string
): Promise<{ encrypted: string, index: string, language: Language } | undefined> {
  const row = await findAcceptance(db, acceptanceId)
  return row === undefined
    ? undefined
    : { encrypted: row.payer_email_encrypted, index: row.payer_email_index, language: languageOr(row.offer_language) }
}

// What other modules read of an acceptance: the row, and the payer's name (encrypted) a partner view shows as initials
export { findAcceptance, payerNamesOf } from './repository.js'
