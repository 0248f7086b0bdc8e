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

/**
 * The parameter names each callback script takes (DESIGN 16). The bank signs the values in the order of their
 * names, never the names: a genuine failure renamed so that its values line up under other names keeps a valid
 * pg_sig and reads as a success. So a callback is the bank's only when every name is one the bank documents for
 * that script. Sources, in docs/bank-protocol.md: the check and result requests of Freedom Pay's merchant API
 * (docs.freedompay.kz, "Check request" and "Result notify"), and the names its older protocol (Platron/PayBox) and
 * integrators' logs show it sending besides, which the sandbox bank sends too (pg_payment_system, pg_testing_mode,
 * pg_failure_*, pg_need_*_notification; the payer's pg_user_* on the check).
 */
const SIGNING = ['pg_salt', 'pg_sig']
const ORDER = [
  'pg_order_id', 'pg_payment_id', 'pg_amount', 'pg_currency', 'pg_ps_amount', 'pg_ps_currency', 'pg_ps_full_amount'
]
export const CALLBACK_PARAMS: Readonly<Record<CallbackKind, ReadonlySet<string>>> = {
  check: new Set([
    ...SIGNING, ...ORDER, 'pg_payment_system', 'pg_testing_mode', 'pg_user_phone', 'pg_user_contact_email',
    // init_payment.php sends it (acquirer.ts); the bank may echo it with the payer's other contacts
    'pg_user_ip'
  ]),
  result: new Set([
    ...SIGNING, ...ORDER, 'pg_net_amount', 'pg_description', 'pg_result', 'pg_payment_date', 'pg_can_reject',
    'pg_user_phone', 'pg_user_contact_email', 'pg_user_ip', 'pg_testing_mode', 'pg_captured', 'pg_card_id',
    'pg_card_token',
    'pg_card_pan', 'pg_card_exp', 'pg_card_owner', 'pg_card_brand', 'pg_discount_percent', 'pg_discount_amount',
    'pg_payment_method', 'pg_payment_system', 'pg_failure_code', 'pg_failure_description',
    'pg_need_phone_notification', 'pg_need_email_notification'
  ])
}

/**
 * Our own parameters (names without pg_) that the bank echoes to both callbacks: those init_payment.php sends
 * (acquirer.ts). It sends none today; one added there must be added here, or every callback is refused.
 */
export const MERCHANT_PARAMS: ReadonlySet<string> = new Set<string>()

/** The names of a callback that its script does not take, in name order (none: every name is the bank's). */
export function unknownParams (kind: CallbackKind, params: Record<string, string>): string[] {
  return Object.keys(params).filter((name) => !CALLBACK_PARAMS[kind].has(name) && !MERCHANT_PARAMS.has(name)).sort()
}

/** True when the callback's pg_sig is the bank's (constant-time compare). */
export function verifyCallback (scriptName: string, params: Record<string, string>, secretKey: string): boolean {
  return verifyParams(scriptName, params, secretKey)
}

/** `<response><pg_status/><pg_description/><pg_salt/><pg_sig/></response>`, signed. */
export function callbackReply (
  scriptName: string, status: CallbackReplyStatus, description: string, secretKey: string
): string {
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
  return Object.fromEntries(
    Object.entries(params).map(([name, value]) => [name, isPersonalParam(name) ? WITHHELD : value])
  )
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

/** Why a callback is not the bank's. */
export type InvalidCallbackReason = 'invalid signature' | 'unknown parameter'

export type IncomingCallback =
  /**
   * Not the bank's: a bad signature, not a flat form, or a name its script does not take. Its raw parameters, only
   * for a bounded digest in the log. `valuesSigned`: pg_sig verifies over these values, under whatever names.
   */
  | {
    verified: false, kind: CallbackKind, reason: InvalidCallbackReason, orderId: string | null,
    params: Record<string, string>, valuesSigned: boolean
  }
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

/**
 * A callback's raw form, verified and read: every name one its script takes, then pg_sig (constant-time). The
 * names are judged first, so the answer to a stranger never tells whether its signature would have verified.
 */
export function readCallback (kind: CallbackKind, form: unknown, secretKey: string): IncomingCallback {
  const { params, strict } = readParams(form)
  const valuesSigned = strict && verifyCallback(kind, params, secretKey)
  const orderId = params.pg_order_id ?? null
  const refused = { verified: false, kind, orderId, params, valuesSigned } as const
  if (unknownParams(kind, params).length > 0) return { ...refused, reason: 'unknown parameter' }
  if (!valuesSigned) return { ...refused, reason: 'invalid signature' }
  return {
    verified: true,
    event: eventOf(kind, params),
    dedupeKey: dedupeKey(kind, params),
    evidence: withoutPersonalParams(params)
  }
}
