import { randomInt } from 'node:crypto'
import type { AgencyRequisites, Config } from '../../config.js'
import type { Database } from '../../db/database.js'
import { almatyDate } from '../../lib/calendar.js'
import { equalInConstantTime, type PiiCipher } from '../../lib/crypto.js'
import { normalizeEmail } from '../../lib/email.js'
import { fromPublicId, toPublicId, uuidv7 } from '../../lib/ids.js'
import { validateIin } from '../../lib/iin.js'
import { normalizeName } from '../../lib/names.js'
import { DomainError } from '../../lib/errors.js'
import { enqueueJob } from '../../db/jobs.js'
import { emailIndex, iinIndex, privacyCodeHash } from '../../lib/blind-index.js'
import { recordAudit } from '../audit/service.js'
import { businessDaysAfter } from '../calendar/service.js'
import { queuePrivacyVerificationCode } from './mail.js'
import { PRIVACY_ERASURE_TASK } from './erasure.js'
import { ERASED } from '../../lib/erasure.js'
import {
  countRequestsSince, findPrivacyRequest, insertPrivacyRequest, listPrivacyRequests, lockEmail, updatePrivacyRequest
} from './repository.js'
import { withdrawConsent } from '../acceptances/erasure.js'
import type { ErasedCounts, PrivacyRequestRow } from './tables.js'
import { toPage } from '../../lib/page.js'
import { DEFAULT_LANGUAGE, languageOr } from '../../lib/languages.js'
import type {
  AdminPrivacyRequest, CreatedPrivacyRequest, CreatePrivacyRequestInput, DestructionConfirmation, PrivacyRequest,
  PrivacyRequestQueryInput, PrivacyStatus, VerifiedPrivacyRequest, VerifyPrivacyRequestInput
} from './schemas.js'

// offer cl. 16: processing stops and the data is destroyed within 30 business days of the (verified) request.
const DESTRUCTION_BUSINESS_DAYS = 30
// docs/architecture.md, personal data: the emailed code works for 30 minutes and forgives 4 mistakes.
export const VERIFICATION_TTL_MS = 30 * 60 * 1000
export const MAX_WRONG_CODES = 5
const HOUR_MS = 60 * 60 * 1000

interface Deps { db: Database, pii: PiiCipher }
export interface SubmitDeps extends Deps { limits: Config['privacyRequests'] }

/** A pending request whose code lapsed reads as expired even before the sweep marks it. */
function effectiveStatus (row: PrivacyRequestRow, now: Date): PrivacyStatus {
  if (row.status === 'pending_verification' && (row.verification_expires_at === null || row.verification_expires_at <= now)) return 'expired'
  return row.status
}

export function toPrivacyRequest (row: PrivacyRequestRow, now = new Date()): PrivacyRequest {
  const status = effectiveStatus(row, now)
  return {
    id: toPublicId('privacyRequest', row.id),
    status,
    dueAt: row.due_at,
    receivedAt: row.received_at.toISOString(),
    verificationExpiresAt: status === 'pending_verification' ? (row.verification_expires_at?.toISOString() ?? null) : null,
    verifiedAt: row.verified_at?.toISOString() ?? null,
    holdReason: row.hold_reason,
    completedAt: row.completed_at?.toISOString() ?? null
  }
}

export function toAdminPrivacyRequest (row: PrivacyRequestRow, now = new Date()): AdminPrivacyRequest {
  const progress = toPrivacyRequest(row, now)
  return {
    ...progress,
    overdue: (progress.status === 'received' || progress.status === 'on_legal_hold') && row.due_at !== null && row.due_at < almatyDate(now),
    verificationAttempts: row.verification_attempts,
    confirmationNumber: row.confirmation_number,
    erased: row.erased_counts === null ? null : { ...NO_COUNTS, ...row.erased_counts },
    language: languageOr(row.language)
  }
}
// Requests completed before an erasure counted these kept only the first three counts.
const NO_COUNTS: ErasedCounts = {
  acceptances: 0,
  callbacks: 0,
  refundRequests: 0,
  payments: 0,
  refunds: 0,
  emails: 0,
  bankRecords: 0,
  idempotencyRecords: 0,
  privacyRequests: 0
}

export function privacyRequestNotFound (): DomainError {
  return new DomainError('privacy_request_not_found', 'No privacy request with this id')
}


/** Six digits, uniformly random. */
function newCode (): string {
  return randomInt(0, 1_000_000).toString().padStart(6, '0')
}

/**
 * docs/architecture.md, personal data, offer cl. 16: a consent withdrawal starts as a request
 * that changes nothing. A one-time code goes to the address it names; only
 * its return (verifyPrivacyRequest) withdraws consent. The answer, and the
 * email sent, are the same whether or not the email is known, so the
 * endpoint tells nobody who paid; a stranger's request expires unused.
 */
export async function submitPrivacyRequest (
  deps: SubmitDeps, input: CreatePrivacyRequestInput, now = new Date()
): Promise<CreatedPrivacyRequest> {
  const email = normalizeEmail(input.email)
  if (!email.ok) throw new DomainError('invalid_email', 'The email address is not valid', { errors: [{ path: 'body.email', message: 'not a valid email address' }] })
  let iin: string | null = null
  if (input.iin !== undefined) {
    const checked = validateIin(input.iin.trim())
    if (!checked.ok) throw new DomainError('invalid_iin', 'The IIN is not valid: 12 digits with a correct check digit', { errors: [{ path: 'body.iin', message: `invalid (${checked.reason})` }] })
    iin = checked.iin
  }
  const fullName = normalizeName(input.fullName)
  if (fullName === '') throw new DomainError('invalid_full_name', 'The full name is empty', { errors: [{ path: 'body.fullName', message: 'must not be blank' }] })

  const language = input.language ?? DEFAULT_LANGUAGE
  const index = emailIndex(deps.pii, email.email)
  const id = uuidv7()
  const code = newCode()
  const expiresAt = new Date(now.getTime() + VERIFICATION_TTL_MS)
  return await deps.db.transaction().execute(async (trx) => {
    await lockEmail(trx, index)
    if (await countRequestsSince(trx, index, new Date(now.getTime() - HOUR_MS)) >= deps.limits.perEmailPerHour) {
      throw new DomainError('rate_limited', 'Too many requests for this email address: try again in an hour', {
        facts: { retryAfterSeconds: 3600, limit: deps.limits.perEmailPerHour, windowSeconds: 3600 }
      })
    }
    const row = await insertPrivacyRequest(trx, {
      id,
      email_index: index,
      // The written notice names the person (cl. 16); the IIN helps an operator tell them apart. Destroyed with the
      // rest.
      iin_index: iin === null ? null : iinIndex(deps.pii, iin),
      full_name_encrypted: deps.pii.encrypt(fullName),
      email_encrypted: deps.pii.encrypt(email.email),
      status: 'pending_verification',
      verification_code_hash: privacyCodeHash(deps.pii, id, code),
      verification_expires_at: expiresAt,
      received_at: now,
      language
    })
    await queuePrivacyVerificationCode(trx, deps.pii, { email: email.email, code, expiresAt, language })
    return { id: toPublicId('privacyRequest', row.id), status: 'pending_verification' as const, verificationExpiresAt: expiresAt.toISOString() }
  })
}

type Verdict =
  | { outcome: 'verified', answer: VerifiedPrivacyRequest }
  | { outcome: 'wrong', attemptsLeft: number }
  | { outcome: 'expired' }

/**
 * The code comes back. Right: consent is withdrawn at this moment for every
 * acceptance given with the email until now, and the erasure is due 30
 * business days later. Wrong: counted under the request's row lock, so
 * parallel guesses cannot exceed five; the fifth, or the 30 minutes, end it.
 * A repeat of a successful verification answers the same again.
 */
export async function verifyPrivacyRequest (
  deps: Deps, publicId: string, input: VerifyPrivacyRequestInput, now = new Date()
): Promise<VerifiedPrivacyRequest> {
  const id = fromPublicId('privacyRequest', publicId)
  if (id === null) throw privacyRequestNotFound()
  const code = input.code.trim()
  const dueAt = await businessDaysAfter(deps.db, now, DESTRUCTION_BUSINESS_DAYS)
  const verdict = await deps.db.transaction().execute(async (trx): Promise<Verdict> => {
    const row = await findPrivacyRequest(trx, id, { forUpdate: true })
    if (row === undefined) throw privacyRequestNotFound()
    const right = row.verification_code_hash !== null &&
      equalInConstantTime(row.verification_code_hash, privacyCodeHash(deps.pii, row.id, code))
    if (row.verified_at !== null && row.due_at !== null && (row.status === 'received' || row.status === 'on_legal_hold' || row.status === 'completed')) {
      if (!right) return { outcome: 'wrong', attemptsLeft: 0 }
      return { outcome: 'verified', answer: { id: publicId, status: row.status, dueAt: row.due_at } }
    }
    // An expired request never became the person's act: its copy of the name, email and IIN goes with it.
    const expire = { status: 'expired' as const, full_name_encrypted: deps.pii.encrypt(ERASED), email_encrypted: null, iin_index: null }
    if (effectiveStatus(row, now) === 'expired') {
      if (row.status !== 'expired') await updatePrivacyRequest(trx, row.id, expire)
      return { outcome: 'expired' }
    }
    if (!right) {
      const attempts = row.verification_attempts + 1
      await updatePrivacyRequest(trx, row.id, {
        verification_attempts: attempts,
        ...(attempts >= MAX_WRONG_CODES ? expire : {})
      })
      return { outcome: 'wrong', attemptsLeft: Math.max(0, MAX_WRONG_CODES - attempts) }
    }
    await updatePrivacyRequest(trx, row.id, { status: 'received', verified_at: now, due_at: dueAt })
    await withdrawConsent(trx, row.email_index, now)
    await enqueueJob(trx, PRIVACY_ERASURE_TASK, { requestId: row.id })
    await recordAudit(trx, { keyId: null, requestId: publicId, ip: null }, { action: 'privacy_request.verified', entityType: 'privacy_request', entityId: publicId, details: { dueAt } })
    return { outcome: 'verified', answer: { id: publicId, status: 'received', dueAt } }
  })
  switch (verdict.outcome) {
    case 'verified':
      return verdict.answer
    case 'expired':
      throw new DomainError('verification_expired', `The code is no longer valid (${MAX_WRONG_CODES} wrong codes or ${VERIFICATION_TTL_MS / 60000} minutes): make a new request`)
    case 'wrong':
      throw new DomainError('invalid_verification_code', verdict.attemptsLeft > 0
        ? `The code is not the one emailed: ${verdict.attemptsLeft} ${verdict.attemptsLeft === 1 ? 'try' : 'tries'} left`
        : 'The code is not the one emailed: the request has expired, make a new one', { facts: { attemptsLeft: verdict.attemptsLeft } })
  }
}

async function findByPublicId (db: Database, publicId: string): Promise<PrivacyRequestRow> {
  const id = fromPublicId('privacyRequest', publicId)
  const row = id === null ? undefined : await findPrivacyRequest(db, id)
  if (row === undefined) throw privacyRequestNotFound()
  return row
}

export async function getPrivacyRequest (db: Database, publicId: string): Promise<PrivacyRequest> {
  return toPrivacyRequest(await findByPublicId(db, publicId))
}

export async function getAdminPrivacyRequest (db: Database, publicId: string): Promise<AdminPrivacyRequest> {
  return toAdminPrivacyRequest(await findByPublicId(db, publicId))
}

export async function listPrivacyRequestsPage (db: Database, query: PrivacyRequestQueryInput) {
  const limit = query.limit ?? 20
  const now = new Date()
  const rows = await listPrivacyRequests(db, {
    now,
    status: query.status,
    overdueBefore: query.overdue === true ? almatyDate(now) : undefined,
    limit,
    startingAfter: query.startingAfter === undefined ? null : fromPublicId('privacyRequest', query.startingAfter)
  })
  return toPage(rows, limit, (shown) => shown.map((row) => toAdminPrivacyRequest(row, now)))
}

/** offer cl. 16: the written confirmation of destruction, once it happened. */
export async function getDestructionConfirmation (
  deps: { db: Database, agency: AgencyRequisites }, publicId: string
): Promise<DestructionConfirmation> {
  const row = await findByPublicId(deps.db, publicId)
  if (row.status !== 'completed' || row.completed_at === null || row.confirmation_number === null || row.erased_counts === null || row.due_at === null) {
    throw new DomainError('confirmation_not_available', row.due_at === null
      ? `The request is not verified (status ${effectiveStatus(row, new Date())}): nothing is destroyed without the emailed code`
      : `The personal data is not destroyed yet (status ${row.status}); the confirmation is issued once it is, by ${row.due_at}`)
  }
  const { name, bin, address } = deps.agency
  return {
    requestId: publicId,
    confirmationNumber: row.confirmation_number,
    completedAt: row.completed_at.toISOString(),
    dueAt: row.due_at,
    controller: { name, bin, address },
    statement: destructionStatement({
      name,
      bin,
      requestId: publicId,
      receivedAt: row.verified_at ?? row.received_at,
      completedAt: row.completed_at
    }),
    erased: { ...NO_COUNTS, ...row.erased_counts }
  }
}

function russianDate (instant: Date): string {
  return almatyDate(instant).split('-').reverse().join('.')
}

function destructionStatement (
  facts: { name: string, bin: string, requestId: string, receivedAt: Date, completedAt: Date }
): string {
  return `${facts.name} (БИН ${facts.bin}) подтверждает, что по заявлению об отзыве согласия на обработку персональных данных ` +
    `№ ${facts.requestId}, полученному ${russianDate(facts.receivedAt)}, персональные данные заявителя (фамилия, имя, отчество, ` +
    'адрес электронной почты, номер телефона, IP-адрес, сведения о браузере, тексты обращений и сообщений банка) уничтожены ' +
    `${russianDate(facts.completedAt)} в соответствии с Законом Республики Казахстан «О персональных данных и их защите» ` +
    'и пунктом 16 Публичной оферты. Сведения о совершённых платежах и возвратах (суммы, даты, статусы) хранятся без персональных ' +
    'данных заявителя в объёме и в сроки, установленные законодательством Республики Казахстан о бухгалтерском учёте и финансовой ' +
    'отчётности. Сведения о должнике, переданные кредитором для взыскания задолженности, обрабатываются на ином законном основании ' +
    'и настоящим подтверждением не охватываются.'
}
