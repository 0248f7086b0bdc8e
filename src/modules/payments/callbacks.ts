import { createHash } from 'node:crypto'
import type { FastifyBaseLogger } from 'fastify'
import type { Database, Trx } from '../../db/database.js'
import type { PiiCipher } from '../../lib/crypto.js'
import { fromPublicId } from '../../lib/ids.js'
import { parseMajorUnits } from '../../lib/money.js'
import { callbackReply, verifyCallback, withoutPersonalParams, type CallbackReplyStatus } from '../../bank/callbacks.js'
import { findDebt } from '../debts/service.js'
import { findCallbackByKey, findPayment, heldOnDebt, holdAtCheck, insertCallback, lockCallbackKey } from './repository.js'
import { flagBankPaymentIdMismatch } from './bank-payment-id.js'
import { settleFailure, settleSuccess } from './settlement.js'
import { logInvalidCallback } from './callback-log.js'
import type { PaymentRow } from './tables.js'

/**
 * The bank's check and result callbacks (DESIGN section 5). Every callback
 * is stored with the answer given. A valid result is stored raw and
 * deduplicated on its content: a repeat, even many at once, gets the
 * identical reply, and its effects apply once. A valid check is stored raw
 * too, and decided afresh each time: its only effect, the hold, is never
 * doubled by a repeat. An invalid signature changes nothing and is logged
 * as a bounded digest (callback-log.ts).
 */
export type CallbackKind = 'check' | 'result'

export interface CallbackDeps { db: Database, pii: PiiCipher, secretKey: string, log: FastifyBaseLogger }

interface Decision { status: CallbackReplyStatus, description: string }

function dedupeKey (kind: CallbackKind, params: Record<string, string>): string {
  const meaningful = Object.keys(params).filter((k) => k !== 'pg_salt' && k !== 'pg_sig').sort().map((k) => [k, params[k]])
  return `${kind}:${createHash('sha256').update(JSON.stringify(meaningful)).digest('hex')}`
}

/** The bank writes its time in Almaty (UTC+5): "2026-11-25 15:02:11". */
function bankTime (text: string | undefined): Date {
  const match = /^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d)$/.exec(text ?? '')
  const parsed = match === null ? NaN : Date.parse(`${match[1] as string}T${match[2] as string}+05:00`)
  return Number.isNaN(parsed) ? new Date() : new Date(parsed)
}

/** The form's parameters; `strict` is false when one repeats (never the bank's form). */
function readParams (body: unknown): { params: Record<string, string>, strict: boolean } {
  const params: Record<string, string> = {}
  let strict = body !== null && typeof body === 'object'
  for (const [key, value] of Object.entries(body ?? {})) {
    if (typeof value === 'string') params[key] = value
    else {
      strict = false
      params[key] = String(Array.isArray(value) ? value[0] : value)
    }
  }
  return { params, strict }
}

export async function handleBankCallback (deps: CallbackDeps, kind: CallbackKind, body: unknown): Promise<string> {
  const { params, strict } = readParams(body)
  const valid = strict && verifyCallback(kind, params, deps.secretKey)
  const orderId = params.pg_order_id ?? null
  const paymentId = orderId === null ? null : fromPublicId('payment', orderId)

  if (!valid) {
    const reply = callbackReply(kind, 'error', 'invalid signature', deps.secretKey)
    const known = paymentId === null ? undefined : await findPayment(deps.db, paymentId)
    const logged = await logInvalidCallback(deps, { kind, paymentId: known?.id ?? null, orderId, params, replyXml: reply })
    deps.log.warn({ kind, orderId: orderId?.slice(0, 100), logged }, 'bank callback with an invalid signature ignored')
    return reply
  }
  // kept encrypted, and without the payer's contacts (they are in the acceptance)
  const raw = deps.pii.encrypt(JSON.stringify(withoutPersonalParams(params)))

  const key = dedupeKey(kind, params)
  return await deps.db.transaction().execute(async (trx) => {
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
    let decision: Decision
    if (payment === undefined) {
      decision = kind === 'check' ? { status: 'rejected', description: 'unknown order' } : { status: 'error', description: 'unknown order' }
    } else if (kind === 'check') {
      decision = await decideCheck(trx, payment, params)
    } else if (params.pg_result === '1') {
      const bankPaymentId = params.pg_payment_id ?? null
      const outcome = await flagBankPaymentIdMismatch(trx, payment.id, bankPaymentId, 'callback')
        ? 'mismatch'
        : await settleSuccess(trx, payment.id, {
          amount: parseMajorUnits(params.pg_amount ?? '') ?? -1n,
          currency: params.pg_currency ?? '',
          bankPaymentId,
          cardMask: params.pg_card_pan ?? null,
          paidAt: bankTime(params.pg_payment_date),
          source: 'callback'
        })
      // The bank has the money either way: acknowledge; a mismatch waits for an operator.
      decision = { status: 'ok', description: outcome === 'mismatch' ? 'accepted for review' : 'accepted' }
    } else {
      await settleFailure(trx, payment.id, { failureCode: params.pg_failure_code ?? 'declined', source: 'callback' })
      decision = { status: 'ok', description: 'failure recorded' }
    }
    const reply = callbackReply(kind, decision.status, decision.description, deps.secretKey)
    await insertCallback(trx, { kind, payment_id: payment?.id ?? null, order_id: orderId, signature_valid: true, dedupe_key: kind === 'result' ? key : null, raw_encrypted: raw, reply_status: decision.status, reply_description: decision.description, reply_xml: reply })
    return reply
  })
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
async function decideCheck (trx: Trx, payment: PaymentRow, params: Record<string, string>): Promise<Decision> {
  if (payment.status !== 'pending') return { status: 'rejected', description: `payment is ${payment.status}` }
  if (parseMajorUnits(params.pg_amount ?? '') !== payment.amount || params.pg_currency !== payment.currency) return { status: 'rejected', description: 'amount or currency does not match the order' }
  const debt = await findDebt(trx, payment.debt_id, { forUpdate: true })
  if (debt === undefined || debt.status !== 'active') return { status: 'rejected', description: 'the debt is no longer payable' }
  const held = await heldOnDebt(trx, debt.id, payment.id)
  if (payment.amount > debt.outstanding - held) {
    return { status: 'rejected', description: held > 0n ? 'the amount exceeds what other payments in progress leave of the outstanding balance' : 'the amount exceeds the outstanding balance' }
  }
  await holdAtCheck(trx, payment.id)
  return { status: 'ok', description: 'payment may proceed' }
}
