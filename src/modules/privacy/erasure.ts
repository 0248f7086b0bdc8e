import type { FastifyBaseLogger } from 'fastify'
import type { Database } from '../../db/database.js'
import { almatyDate } from '../../lib/calendar.js'
import type { PiiCipher } from '../../lib/crypto.js'
import { toPublicId } from '../../lib/ids.js'
import {
  acceptancesOf, eraseAcceptances, eraseCallbacks, erasePaymentIndexes, eraseRefundReasons, findPrivacyRequest, hasRefundInProgress,
  listUnfinished, lockPaymentsOf, nextConfirmationNumber, privacyDb, updatePrivacyRequest, type ErasedCounts, type PrivacyTransaction, type Tombstone
} from './repository.js'
import type { PrivacyStatus } from './schemas.js'

/**
 * The worker's part of a consent withdrawal (offer cl. 16): destroy the
 * payer's personal data, keep the financial facts (amounts, dates, statuses,
 * refunds) that the law on accounting requires, and issue the confirmation.
 *
 * Not erased: the debt itself and its debtor's name and IIN. They come from
 * the creditor's portfolio and are processed to collect the claim, a legal
 * basis other than the payer's consent, which the withdrawal does not end.
 * For the same reason the payments' IIN index (the debtor's) stays.
 */
export const PRIVACY_ERASURE_TASK = 'privacy-erase'
export const ERASED = '[erased]'

interface Deps { db: Database, pii: PiiCipher, log: FastifyBaseLogger }

// A received request untouched this long lost its job (retries exhausted): the sweep takes it up.
const STALE_AFTER_MS = 60 * 60 * 1000

/**
 * DESIGN section 7: data tied to an open obligation is held, not destroyed.
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

/** Daily: requests on legal hold (and any whose job was lost) are tried again; returns how many completed. */
export async function sweepPrivacyRequests (deps: Deps, now = new Date()): Promise<number> {
  const ids = await listUnfinished(privacyDb(deps.db), new Date(now.getTime() - STALE_AFTER_MS))
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

/** Idempotent: a completed request is left alone, so a repeated job or sweep changes nothing. */
async function processOne (deps: Deps, requestId: string): Promise<PrivacyStatus | null> {
  const status = await privacyDb(deps.db).transaction().execute(async (trx) => {
    const request = await findPrivacyRequest(trx, requestId, { forUpdate: true })
    if (request === undefined || request.status === 'completed') return null
    const acceptanceIds = await acceptancesOf(trx, request.email_index, request.received_at)
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
    await erase(trx, deps.pii, requestId, acceptanceIds, paymentIds)
    return 'completed' as const
  })
  if (status !== null) deps.log.info({ privacyRequestId: toPublicId('privacyRequest', requestId), status }, 'privacy request processed')
  return status
}

async function erase (trx: PrivacyTransaction, pii: PiiCipher, requestId: string, acceptanceIds: string[], paymentIds: string[]): Promise<void> {
  // Unique per request: the tombstoned indexes match no email, IP or other erasure.
  const tombstone: Tombstone = { encrypted: pii.encrypt(ERASED), emptyJson: pii.encrypt('{}'), index: `erased:${requestId}` }
  const erased: ErasedCounts = {
    acceptances: await eraseAcceptances(trx, acceptanceIds, tombstone),
    callbacks: await eraseCallbacks(trx, paymentIds, tombstone),
    refundRequests: await eraseRefundReasons(trx, paymentIds, tombstone)
  }
  await erasePaymentIndexes(trx, acceptanceIds, tombstone)
  const completedAt = new Date()
  const number = await nextConfirmationNumber(trx)
  await updatePrivacyRequest(trx, requestId, {
    status: 'completed',
    hold_reason: null,
    completed_at: completedAt,
    confirmation_number: `PD-${almatyDate(completedAt).slice(0, 4)}-${number.toString().padStart(6, '0')}`,
    erased_counts: JSON.stringify(erased),
    // The request's own copy goes too: the confirmation needs only its id and dates.
    full_name_encrypted: tombstone.encrypted,
    email_index: tombstone.index,
    iin_index: null
  })
}
