// The worker's part of a consent withdrawal (offer cl. 16): destroy the
// payer's personal data, keep the financial facts (amounts, dates, statuses,
// refunds) that the law on accounting requires, and issue the confirmation.
//
// Not erased: the debt itself and its debtor's name and IIN. They come from
// the creditor's portfolio and are processed to collect the claim, a legal
// basis other than the payer's consent, which the withdrawal does not end.
// For the same reason the payments' IIN index (the debtor's) stays.
import type { FastifyBaseLogger } from 'fastify'
import type { Database, Trx } from '../../db/database.js'
import { almatyDate } from '../../lib/calendar.js'
import type { PiiCipher } from '../../lib/crypto.js'
import { toPublicId } from '../../lib/ids.js'
import { eraseOrderRecords } from '../../bank/sandbox/erasure.js'
import { recordAudit, SYSTEM_ACTOR } from '../audit/service.js'
import { queueDestructionConfirmation } from './mail.js'
import { languageOr } from '../../lib/languages.js'
import { eraseIdempotencyRecords } from '../../http/idempotency.js'
import { ERASED, type Tombstone } from '../../lib/erasure.js'
import { acceptancesOf, eraseAcceptances } from '../acceptances/erasure.js'
import { eraseRefundRequestEvents } from '../events/erasure.js'
import { eraseMail } from '../notifications/erasure.js'
import { eraseCallbacks, erasePayments, lockPaymentsOf } from '../payments/erasure.js'
import { eraseRefundReasons, eraseReturnReasons } from '../refunds/erasure.js'
import {
  eraseUnverifiedRequests, expireLapsed, findPrivacyRequest, hasRefundInProgress, listUnfinished,
  nextConfirmationNumber, refundRequestIdsOf, requestIdsOf, updatePrivacyRequest
} from './repository.js'
import type { PrivacyStatus } from './schemas.js'
import type { ErasedCounts, PrivacyRequestRow } from './tables.js'

export const PRIVACY_ERASURE_TASK = 'privacy-erase'

export interface ErasureDeps { db: Database, pii: PiiCipher, log: FastifyBaseLogger, publicBaseUrl: string }
type Deps = ErasureDeps

// A received request untouched this long lost its job (retries exhausted): the sweep takes it up.
const STALE_AFTER_MS = 60 * 60 * 1000

/**
 * docs/architecture.md, personal data: data tied to an open obligation is held, not destroyed.
 * A refund needs the payer's request and the bank's callbacks; a payment
 * still open at the bank would bring new callbacks with the payer's contacts.
 */
export function holdReasonFor (facts: { refundInProgress: boolean, paymentInProgress: boolean }): string | null {
  if (facts.refundInProgress) return 'refund in progress'
  if (facts.paymentInProgress) return 'payment in progress'
  return null
}

export async function processPrivacyRequest (deps: Deps, requestId: string): Promise<void> {
  await processOne(deps, requestId)
}

/**
 * Daily: requests on legal hold (and any whose job was lost) are tried
 * again; lapsed unverified requests are closed and their copy of the name
 * and email destroyed. Returns how many erasures completed.
 */
export async function sweepPrivacyRequests (deps: Deps, now = new Date()): Promise<number> {
  const expired = await expireLapsed(deps.db, now, { encrypted: deps.pii.encrypt(ERASED) })
  if (expired > 0) deps.log.info({ expired }, 'unverified privacy requests expired')
  const ids = await listUnfinished(deps.db, new Date(now.getTime() - STALE_AFTER_MS))
  let completed = 0
  for (const id of ids) {
    try {
      if (await processOne(deps, id) === 'completed') completed++
    } catch (error) {
      deps.log.error({ err: error, privacyRequestId: toPublicId('privacyRequest', id) }, 'privacy request erasure failed')
    }
  }
  return completed
}

/** Idempotent: only a verified, unfinished request is worked on, so a repeated job or sweep changes nothing. */
async function processOne (deps: Deps, requestId: string): Promise<PrivacyStatus | null> {
  const status = await deps.db.transaction().execute(async (trx) => {
    const request = await findPrivacyRequest(trx, requestId, { forUpdate: true })
    if (request === undefined || (request.status !== 'received' && request.status !== 'on_legal_hold') || request.verified_at === null) return null
    const acceptanceIds = await acceptancesOf(trx, request.email_index, request.verified_at)
    const payments = await lockPaymentsOf(trx, acceptanceIds)
    const paymentIds = payments.map((p) => p.id)
    const holdReason = holdReasonFor({
      refundInProgress: await hasRefundInProgress(trx, paymentIds),
      paymentInProgress: payments.some((p) => p.status === 'pending')
    })
    if (holdReason !== null) {
      if (request.status !== 'on_legal_hold' || request.hold_reason !== holdReason) {
        await updatePrivacyRequest(trx, requestId, { status: 'on_legal_hold', hold_reason: holdReason })
      }
      return 'on_legal_hold' as const
    }
    await erase(trx, deps, request, acceptanceIds, paymentIds)
    return 'completed' as const
  })
  if (status !== null) deps.log.info({ privacyRequestId: toPublicId('privacyRequest', requestId), status }, 'privacy request processed')
  return status
}

/**
 * docs/architecture.md, personal data: afterwards no table holds the person's name, email,
 * phone, IIN or IP, in clear or decryptable form, nor a blind index that
 * matches them. Financial facts stay: amounts, dates, statuses, the ledger.
 */
async function erase (
  trx: Trx, deps: Deps, request: PrivacyRequestRow, acceptanceIds: string[], paymentIds: string[]
): Promise<void> {
  const { pii } = deps
  const requestId = request.id
  // Unique per request: the tombstoned indexes match no email, IP or other erasure.
  const tombstone: Tombstone = { encrypted: pii.encrypt(ERASED), emptyJson: pii.encrypt('{}'), index: `erased:${requestId}` }
  const paymentPublicIds = paymentIds.map((id) => toPublicId('payment', id))
  const refundRequestPublicIds = (await refundRequestIdsOf(trx, paymentIds)).map((id) => toPublicId('refundRequest', id))
  const resourceIds = [
    ...acceptanceIds.map((id) => toPublicId('acceptance', id)),
    ...paymentPublicIds,
    ...refundRequestPublicIds,
    ...(await requestIdsOf(trx, request.email_index)).map((id) => toPublicId('privacyRequest', id))
  ]
  const erased: ErasedCounts = {
    acceptances: await eraseAcceptances(trx, acceptanceIds, tombstone),
    callbacks: await eraseCallbacks(trx, paymentIds, tombstone),
    refundRequests: await eraseRefundReasons(trx, paymentIds, tombstone),
    payments: await erasePayments(trx, acceptanceIds, tombstone),
    refunds: await eraseReturnReasons(trx, paymentIds, tombstone),
    // every message to the address until now: those of a refund finished under the legal hold too
    emails: await eraseMail(trx, request.email_index, new Date(), tombstone),
    bankRecords: await eraseOrderRecords(trx, paymentPublicIds),
    idempotencyRecords: await eraseIdempotencyRecords(trx, resourceIds),
    privacyRequests: await eraseUnverifiedRequests(trx, request.email_index, requestId, tombstone)
  }
  await eraseRefundRequestEvents(trx, refundRequestPublicIds)
  const completedAt = new Date()
  const confirmationNumber = `PD-${almatyDate(completedAt).slice(0, 4)}-${(await nextConfirmationNumber(trx)).toString().padStart(6, '0')}`
  await updatePrivacyRequest(trx, requestId, {
    status: 'completed',
    hold_reason: null,
    completed_at: completedAt,
    confirmation_number: confirmationNumber,
    erased_counts: JSON.stringify(erased),
    // The request's own copy goes too: the confirmation needs only its id and dates.
    full_name_encrypted: tombstone.encrypted,
    email_index: tombstone.index,
    email_encrypted: null,
    iin_index: null
  })
  // offer cl. 16: the confirmation goes to the address the request named; the
  // outbox forgets the address once the message is handed over.
  if (request.email_encrypted !== null) {
    await queueDestructionConfirmation(trx, { encrypted: request.email_encrypted, index: tombstone.index }, {
      requestId,
      confirmationNumber,
      completedAt,
      confirmationUrl: `${deps.publicBaseUrl}/v1/privacy-requests/${toPublicId('privacyRequest', requestId)}/confirmation`,
      language: languageOr(request.language)
    })
  }
  // The audit log records that the erasure happened, never the data.
  await recordAudit(trx, SYSTEM_ACTOR, { action: 'privacy_request.completed', entityType: 'privacy_request', entityId: toPublicId('privacyRequest', requestId), details: { confirmationNumber, erased } })
}
