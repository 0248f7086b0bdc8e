// The decisions on the bank's check and result callbacks (docs/bank-protocol.md). The bank port reads and verifies
// the form (bank/callbacks.ts: readCallback) and signs our answer; here: every callback is stored with the answer
// given. A valid result is stored and deduplicated on its content: a repeat, even many at once, gets the identical
// reply, and its effects apply once. A valid check is stored too, and decided afresh each time: its only effect, the
// hold, is never doubled by a repeat. An invalid callback (a bad signature, or a name its script does not take:
// the bank signs values, not names) changes nothing and is logged as a bounded digest (callback-log.ts). A success
// for a payment we hold failed or expired is credited only once get_status3.php confirms it (late-success.ts).
import type { FastifyBaseLogger } from 'fastify'
import type { Database, Trx } from '../../db/database.js'
import type { PiiCipher } from '../../lib/crypto.js'
import { fromPublicId } from '../../lib/ids.js'
import type { BankProvider, CallbackEvent, CallbackKind, CallbackReplyStatus } from '../../bank/provider.js'
import { findDebt } from '../debts/service.js'
import { findCallbackByKey, findPayment, heldOnDebt, holdAtCheck, insertCallback, lockCallbackKey } from './repository.js'
import { flagBankPaymentIdMismatch } from './bank-payment-id.js'
import { settleFailure, settleSuccess } from './settlement.js'
import { logInvalidCallback } from './callback-log.js'
import { askBank, confirmLateSuccess, isLateSuccess, type BankWord } from './late-success.js'
import type { PaymentRow } from './tables.js'

export type { CallbackKind }

export interface CallbackDeps {
  db: Database
  pii: PiiCipher
  bank: Pick<BankProvider, 'readCallback' | 'callbackReply' | 'getStatus'>
  log: FastifyBaseLogger
  /** Told of every callback refused as not the bank's (metrics: bank_callbacks_refused_total). */
  refused?: (kind: CallbackKind, reason: 'signature' | 'unknown_parameter') => void
}

interface Decision { status: CallbackReplyStatus, description: string }

/** The transaction stopped before writing anything: the bank must be asked first (late-success.ts). */
const ASK_BANK = Symbol('ask the bank')

export async function handleBankCallback (deps: CallbackDeps, kind: CallbackKind, body: unknown): Promise<string> {
  const incoming = deps.bank.readCallback(kind, body)
  if (!incoming.verified) {
    const { orderId, params, reason, valuesSigned } = incoming
    const paymentId = orderId === null ? null : fromPublicId('payment', orderId)
    const reply = deps.bank.callbackReply(kind, 'error', reason)
    const known = paymentId === null ? undefined : await findPayment(deps.db, paymentId)
    const invalid = { kind, reason, valuesSigned, paymentId: known?.id ?? null, orderId, params, replyXml: reply }
    const facts = { kind, reason, orderId: orderId?.slice(0, 100), logged: await logInvalidCallback(deps, invalid) }
    deps.refused?.(kind, reason === 'invalid signature' ? 'signature' : 'unknown_parameter')
    // A genuine pg_sig under names the script does not take: a replay by someone who holds the bank's callbacks,
    // or a name the live bank added (docs/bank-protocol.md). Either way a person must look.
    if (valuesSigned) {
      const names = Object.keys(params).sort().slice(0, 64).map((name) => name.slice(0, 64))
      deps.log.error({ ...facts, names }, 'bank callback refused: a genuine signature under unknown parameter names')
    } else {
      deps.log.warn(facts, 'bank callback refused: not the bank\'s')
    }
    return reply
  }
  const { event, dedupeKey: key } = incoming
  const orderId = event.orderId
  const paymentId = orderId === null ? null : fromPublicId('payment', orderId)
  // kept encrypted, and without the payer's contacts (they are in the acceptance)
  const raw = deps.pii.encrypt(JSON.stringify(incoming.evidence))

  // At most twice: a late success needs the bank's word, asked with no lock held; the second pass has it.
  let word: BankWord | undefined
  for (;;) {
    const reply = await deps.db.transaction().execute(async (trx) => {
      // A result is applied once and a repeat gets the first answer. A check
      // has no effect but the hold, which a repeat never doubles: it is
      // decided afresh every time, against the debt as it is now.
      if (kind === 'result') {
        await lockCallbackKey(trx, key)
        const seen = await findCallbackByKey(trx, key)
        if (seen !== undefined) return seen.reply_xml
      }

      // The payment's row lock first, then the debt's: settlement's order.
      const payment = paymentId === null ? undefined : await findPayment(trx, paymentId, { forUpdate: true })
      if (payment !== undefined && word === undefined && isLateSuccess(payment, event)) return ASK_BANK
      const decision: Decision = payment === undefined
        ? { status: kind === 'check' ? 'rejected' : 'error', description: 'unknown order' }
        : await decide(trx, payment, event, word)
      const reply = deps.bank.callbackReply(kind, decision.status, decision.description)
      await insertCallback(trx, {
        kind,
        payment_id: payment?.id ?? null,
        order_id: orderId,
        signature_valid: true,
        dedupe_key: kind === 'result' ? key : null,
        raw_encrypted: raw,
        reply_status: decision.status,
        reply_description: decision.description,
        reply_xml: reply
      })
      return reply
    })
    if (reply !== ASK_BANK) return reply
    word = await askBank(deps, paymentId as string)
  }
}

/** `word`: get_status3.php's answer, asked for a late success only. */
async function decide (trx: Trx, payment: PaymentRow, event: CallbackEvent, word?: BankWord): Promise<Decision> {
  if (event.kind === 'check') return await decideCheck(trx, payment, event)
  if (event.outcome === 'failed') {
    await settleFailure(trx, payment.id, { failureCode: event.failureCode, source: 'callback' })
    return { status: 'ok', description: 'failure recorded' }
  }
  // The bank has the money, or says it has: acknowledged either way; what does not fit waits for an operator.
  const review: Decision = { status: 'ok', description: 'accepted for review' }
  if (await flagBankPaymentIdMismatch(trx, payment.id, event.bankPaymentId, 'callback')) return review
  if (isLateSuccess(payment, event)) {
    if (!await confirmLateSuccess(trx, payment, event, word ?? { unavailable: 'not asked' })) {
      return payment.status === 'pending' ? { status: 'ok', description: 'accepted, to be reconciled' } : review
    }
  }
  const outcome = await settleSuccess(trx, payment.id, {
    // an amount the bank's text does not give never matches
    amount: event.amount ?? -1n,
    currency: event.currency ?? '',
    bankPaymentId: event.bankPaymentId,
    cardMask: event.cardMask,
    paidAt: event.paidAt ?? new Date(),
    source: 'callback'
  })
  return outcome === 'mismatch' ? review : { status: 'ok', description: 'accepted' }
}

/**
 * May this payment proceed? Only a pending payment, for its exact amount,
 * while the debt can take it: its outstanding, under the debt's row lock,
 * minus what the bank's checks already let through for other payments not
 * yet settled (each holds its amount until it succeeds, fails or expires).
 * So of twenty payers racing for one small debt, only as many as it covers
 * are charged; the others are refused here, before the card is. A repeat
 * that is now refused keeps the hold it had: the bank may be charging on
 * the first answer, and the hold ends with the payment's result anyway.
 */
async function decideCheck (
  trx: Trx, payment: PaymentRow, check: { amount: bigint | null, currency: string | null }
): Promise<Decision> {
  if (payment.status !== 'pending') return { status: 'rejected', description: `payment is ${payment.status}` }
  if (check.amount !== payment.amount || check.currency !== payment.currency) return { status: 'rejected', description: 'amount or currency does not match the order' }
  const debt = await findDebt(trx, payment.debt_id, { forUpdate: true })
  if (debt === undefined || debt.status !== 'active') return { status: 'rejected', description: 'the debt is no longer payable' }
  const held = await heldOnDebt(trx, debt.id, payment.id)
  if (payment.amount > debt.outstanding - held) {
    return { status: 'rejected', description: held > 0n ? 'the amount exceeds what other payments in progress leave of the outstanding balance' : 'the amount exceeds the outstanding balance' }
  }
  await holdAtCheck(trx, payment.id)
  return { status: 'ok', description: 'payment may proceed' }
}
