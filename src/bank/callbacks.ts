// The bank's incoming callbacks (check, result) behind the port, as Medusa's getWebhookActionAndData and
// Hyperswitch's IncomingWebhook do: the raw form becomes a verified event in our words (readCallback), and the
// answer is built and signed here (callbackReply). modules/payments keeps only the decisions. The script name is the
// last path segment of OUR callback URL ('check', 'result'): the bank signs with it and so must we.
// docs/bank-protocol.md describes the parameters.
import { createHash } from 'node:crypto'
import { parseMajorUnits } from '../lib/money.js'
import { verifyParams } from './signature.js'
import { parseBankTime } from './time.js'
import { signedXml } from './xml-signature.js'

export type CallbackKind = 'check' | 'result'

export type CallbackReplyStatus = 'ok' | 'rejected' | 'error'

/** True when the callback's pg_sig is the bank's (constant-time compare). */
export function verifyCallback (scriptName: string, params: Record<string, string>, secretKey: string): boolean {
  return verifyParams(scriptName, params, secretKey)
}

/** `<response><pg_status/><pg_description/><pg_salt/><pg_sig/></response>`, signed. */
export function callbackReply (scriptName: string, status: CallbackReplyStatus, description: string, secretKey: string): string {
  return signedXml(scriptName, { pg_status: status, pg_description: description }, secretKey)
}

/**
 * The parameters that describe the person rather than the payment: the
 * payer's contacts and address the bank echoes (pg_user_*), and the
 * cardholder's name and card expiry the live bank may send. We already hold
 * the contacts in the acceptance; the rest we never keep (personal data is kept only where needed).
 */
export function isPersonalParam (name: string): boolean {
  return name.startsWith('pg_user_') || name === 'pg_card_owner' || name === 'pg_card_exp'
}

/**
 * A callback as we keep it: without the personal parameters, each replaced
 * by a marker so the log still shows it was sent. A callback that arrives
 * after an erasure, or for no known payment, thus never brings personal data
 * back into the database.
 */
export function withoutPersonalParams (params: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(params).map(([name, value]) => [name, isPersonalParam(name) ? WITHHELD : value]))
}
export const WITHHELD = '[not kept]'

/** What a verified callback reports. Amounts are tiyn; null where the bank's text is not one. */
export type CallbackEvent =
  | { kind: 'check', orderId: string | null, amount: bigint | null, currency: string | null }
  | {
    kind: 'result', outcome: 'succeeded', orderId: string | null, amount: bigint | null, currency: string | null,
    bankPaymentId: string | null, cardMask: string | null, paidAt: Date | null
  }
  | { kind: 'result', outcome: 'failed', orderId: string | null, failureCode: string }

export type IncomingCallback =
  /** Not the bank's (bad signature, or not a flat form): its raw parameters, only for a bounded digest in the log. */
  | { verified: false, kind: CallbackKind, orderId: string | null, params: Record<string, string> }
  | {
    verified: true
    event: CallbackEvent
    /** The same callback sent again (a new salt and signature, the same content) has the same key. */
    dedupeKey: string
    /** The parameters to keep as evidence: without the personal ones (withoutPersonalParams). */
    evidence: Record<string, string>
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

function dedupeKey (kind: CallbackKind, params: Record<string, string>): string {
  const meaningful = Object.keys(params).filter((k) => k !== 'pg_salt' && k !== 'pg_sig').sort().map((k) => [k, params[k]])
  return `${kind}:${createHash('sha256').update(JSON.stringify(meaningful)).digest('hex')}`
}

function eventOf (kind: CallbackKind, params: Record<string, string>): CallbackEvent {
  const orderId = params.pg_order_id ?? null
  const amount = parseMajorUnits(params.pg_amount ?? '')
  const currency = params.pg_currency ?? null
  if (kind === 'check') return { kind, orderId, amount, currency }
  if (params.pg_result !== '1') return { kind, outcome: 'failed', orderId, failureCode: params.pg_failure_code ?? 'declined' }
  return {
    kind,
    outcome: 'succeeded',
    orderId,
    amount,
    currency,
    bankPaymentId: params.pg_payment_id ?? null,
    cardMask: params.pg_card_pan ?? null,
    paidAt: parseBankTime(params.pg_payment_date)
  }
}

/** A callback's raw form, verified (pg_sig, constant-time) and read. */
export function readCallback (kind: CallbackKind, form: unknown, secretKey: string): IncomingCallback {
  const { params, strict } = readParams(form)
  if (!strict || !verifyCallback(kind, params, secretKey)) return { verified: false, kind, orderId: params.pg_order_id ?? null, params }
  return { verified: true, event: eventOf(kind, params), dedupeKey: dedupeKey(kind, params), evidence: withoutPersonalParams(params) }
}
