/**
 * The sandbox bank's merchant API: init_payment.php, get_status3.php and
 * revoke.php, answering as the bank does. Every answer is signed XML except
 * when the merchant could not be authenticated (pg_error_code 9998): the
 * bank documents that as the one unsigned case, since it cannot sign for a
 * merchant it did not recognise.
 */
import { formatMinorUnits, parseMajorUnits } from '../../lib/money.js'
import { verifyParams } from '../signature.js'
import { buildXmlResponse } from '../xml.js'
import { signedXml } from '../xml-signature.js'
import { SCRIPT_ERRORS, type Code } from './codes.js'
import { expireIfDue } from './expiry.js'
import { addRefund, findLatestPaymentOfOrder, findPayment, insertPayment } from './repository.js'
import { formatBankTime } from '../time.js'
import type { SandboxDb, SandboxPayment, SandboxPaymentStatus } from './types.js'

export interface BankSide {
  db: SandboxDb
  merchantId: string
  secretKey: string
  /** The only place the bank calls back to: pg_check_url and pg_result_url must lie under it (PUBLIC_BASE_URL). */
  callbackBase: URL
  /** The only origins the payer's browser is sent back to: pg_success_url and pg_failure_url must have one of them. */
  returnOrigins: ReadonlySet<string>
}

const DEFAULT_LIFETIME_SECONDS = 86_400
const MAX_LIFETIME_SECONDS = 7 * 86_400
const URL_PARAMS = ['pg_check_url', 'pg_result_url', 'pg_success_url', 'pg_failure_url'] as const
// the addresses the bank itself calls; the other two are where it sends the payer's browser
const CALLBACK_PARAMS = new Set<string>(['pg_check_url', 'pg_result_url'])
// pg_payment_status as get_status3.php words it
const PAYMENT_STATUS_WORDS: Record<SandboxPaymentStatus, string> = { pending: 'pending', processing: 'process', paid: 'success', failed: 'error' }

/**
 * A form body as flat text parameters; null when a parameter is repeated, not
 * text, or holds a NUL (which no bank parameter may, and Postgres refuses).
 */
export function formParams (body: unknown): Record<string, string> | null {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return null
  const entries = Object.entries(body)
  const flatText = entries.every(([name, value]) => typeof value === 'string' && !value.includes('\u0000') && !name.includes('\u0000'))
  return flatText ? Object.fromEntries(entries) as Record<string, string> : null
}

function unsignedError (error: Code): string {
  return buildXmlResponse({ pg_status: 'error', pg_error_code: error.code, pg_error_description: error.description })
}

function signedError (bank: BankSide, script: string, error: Code, detail?: string): string {
  const description = detail === undefined ? error.description : `${error.description}: ${detail}`
  return signedXml(script, { pg_status: 'error', pg_error_code: error.code, pg_error_description: description }, bank.secretKey)
}

/** The error fault's answer: signed, as the bank answers a failure on its side. */
export function internalErrorAnswer (bank: BankSide, script: string): string {
  return signedError(bank, script, SCRIPT_ERRORS.internal)
}

/** The refuse fault's answer: signed, a definite no (490, operation impossible); nothing is done. */
export function refusalAnswer (bank: BankSide, script: string): string {
  return signedError(bank, script, SCRIPT_ERRORS.refundImpossible, 'отказ банка (sandbox fault)')
}

/** The request's parameters once merchant and signature check out; else the unsigned refusal. */
function authenticate (
  bank: BankSide, script: string, body: unknown
): { params: Record<string, string> } | { refusal: string } {
  const params = formParams(body)
  if (params === null) return { refusal: unsignedError(SCRIPT_ERRORS.badSignature) }
  if (params.pg_merchant_id !== bank.merchantId) return { refusal: unsignedError(SCRIPT_ERRORS.unknownMerchant) }
  if ((params.pg_salt ?? '') === '' || !verifyParams(script, params, bank.secretKey)) {
    return { refusal: unsignedError(SCRIPT_ERRORS.badSignature) }
  }
  return { params }
}

function webAddress (text: string): boolean {
  try {
    const url = new URL(text)
    return url.protocol === 'https:' || url.protocol === 'http:'
  } catch {
    return false
  }
}

/**
 * Whether the bank may call this address: same origin as the base and a
 * path under the base's, both as the WHATWG parser (which fetch uses) reads
 * them, so no spelling of another host, port, user-info or dot segment slips by.
 */
export function underCallbackBase (text: string, base: URL): boolean {
  let url: URL
  try {
    url = new URL(text)
  } catch {
    return false
  }
  if (url.origin !== base.origin || url.username !== '' || url.password !== '') return false
  const prefix = base.pathname.endsWith('/') ? base.pathname : `${base.pathname}/`
  return url.pathname === base.pathname || url.pathname.startsWith(prefix)
}

/**
 * Whether the payer's browser may be sent here: exactly one of the allowed origins, as the WHATWG parser reads it
 * (scheme, host and port; a default port is no port), and no user-info, which only serves to disguise a host.
 */
export function atReturnOrigin (text: string, origins: ReadonlySet<string>): boolean {
  let url: URL
  try {
    url = new URL(text)
  } catch {
    return false
  }
  return origins.has(url.origin) && url.username === '' && url.password === ''
}

interface InitValues { orderId: string, amount: bigint, currency: string, description: string, lifetimeSeconds: number }

/** init_payment.php's parameters as values, or the name of the first one the sandbox cannot accept. */
function readInitParams (params: Record<string, string>, bank: BankSide): { values: InitValues } | { invalid: string } {
  const orderId = params.pg_order_id ?? ''
  if (orderId.length === 0 || orderId.length > 255) return { invalid: 'pg_order_id' }
  const amount = parseMajorUnits(params.pg_amount ?? '')
  if (amount === null || amount <= 0n) return { invalid: 'pg_amount' }
  const currency = params.pg_currency ?? 'KZT'
  if (currency !== 'KZT') return { invalid: 'pg_currency' }
  const description = params.pg_description ?? ''
  if (description.trim() === '') return { invalid: 'pg_description' }
  const lifetime = params.pg_lifetime ?? String(DEFAULT_LIFETIME_SECONDS)
  if (!/^[1-9]\d{0,6}$/.test(lifetime) || Number(lifetime) > MAX_LIFETIME_SECONDS) return { invalid: 'pg_lifetime' }
  for (const name of URL_PARAMS) {
    const value = params[name]
    if (value === undefined) continue
    if (!webAddress(value)) return { invalid: name }
    // no request forgery: a caller of a public endpoint never picks where the bank posts
    if (CALLBACK_PARAMS.has(name) && !underCallbackBase(value, bank.callbackBase)) return { invalid: name }
    // no phishing: the public sandbox secret signs anyone's init, so it never picks where our page sends the payer
    if (!CALLBACK_PARAMS.has(name) && !atReturnOrigin(value, bank.returnOrigins)) return { invalid: name }
  }
  // the sandbox calls back with form POSTs only
  if ((params.pg_request_method ?? 'POST').toUpperCase() !== 'POST') return { invalid: 'pg_request_method' }
  return { values: { orderId, amount, currency, description, lifetimeSeconds: Number(lifetime) } }
}

export async function initPaymentScript (bank: BankSide, body: unknown, payPageBase: string): Promise<string> {
  const script = 'init_payment.php'
  const auth = authenticate(bank, script, body)
  if ('refusal' in auth) return auth.refusal
  const read = readInitParams(auth.params, bank)
  if ('invalid' in read) return signedError(bank, script, SCRIPT_ERRORS.badParameter, read.invalid)
  const payment = await insertPayment(bank.db, { merchantId: bank.merchantId, ...read.values, params: auth.params })
  return signedXml(script, {
    pg_status: 'ok',
    pg_payment_id: payment.id,
    pg_redirect_url: `${payPageBase}/${payment.id}`,
    pg_redirect_url_type: 'need data'
  }, bank.secretKey)
}

function statusFields (payment: SandboxPayment): Record<string, string> {
  const fields: Record<string, string> = {
    pg_status: 'ok',
    pg_payment_id: payment.id,
    pg_order_id: payment.orderId,
    pg_payment_method: 'bankcard',
    pg_amount: formatMinorUnits(payment.amount),
    pg_currency: payment.currency,
    pg_payment_status: PAYMENT_STATUS_WORDS[payment.status],
    pg_can_reject: '0',
    pg_testing_mode: '1',
    pg_create_date: formatBankTime(payment.createdAt)
  }
  if (payment.status === 'paid' && payment.paidAt !== null) {
    fields.pg_captured = '1'
    fields.pg_clearing_amount = formatMinorUnits(payment.amount)
    fields.pg_payment_date = formatBankTime(payment.paidAt)
  }
  if (payment.cardMask !== null) fields.pg_card_pan = payment.cardMask
  if (payment.cardBrand !== null && payment.cardBrand !== '') fields.pg_card_brand = payment.cardBrand
  // a refund leaves pg_payment_status 'success'; the bank reports the refunded sum negative.
  // Flat on purpose: the live bank also lists each refund in nested <pg_refund_payments>.
  if (payment.refundedAmount > 0n) fields.pg_refund_amount = `-${formatMinorUnits(payment.refundedAmount)}`
  if (payment.failureCode !== null) fields.pg_failure_code = payment.failureCode
  if (payment.failureDescription !== null) fields.pg_failure_description = payment.failureDescription
  return fields
}

export async function getStatusScript (bank: BankSide, body: unknown): Promise<string> {
  const script = 'get_status3.php'
  const auth = authenticate(bank, script, body)
  if ('refusal' in auth) return auth.refusal
  const { params } = auth
  let found: SandboxPayment | null
  if (params.pg_payment_id !== undefined) found = await findPayment(bank.db, bank.merchantId, params.pg_payment_id)
  else if (params.pg_order_id !== undefined) {
    found = await findLatestPaymentOfOrder(bank.db, bank.merchantId, params.pg_order_id)
  }
  else return signedError(bank, script, SCRIPT_ERRORS.badParameter, 'pg_payment_id')
  if (found === null) return signedError(bank, script, SCRIPT_ERRORS.notFound)
  const { payment } = await expireIfDue(bank.db, found)
  return signedXml(script, statusFields(payment), bank.secretKey)
}

type RevokeDecision = { refundId: string, paymentId: string, amount: bigint } | { refused: Code, detail?: string }

export async function revokeScript (bank: BankSide, body: unknown): Promise<string> {
  const script = 'revoke.php'
  const auth = authenticate(bank, script, body)
  if ('refusal' in auth) return auth.refusal
  const { params } = auth
  const paymentId = params.pg_payment_id ?? ''
  if (paymentId === '') return signedError(bank, script, SCRIPT_ERRORS.badParameter, 'pg_payment_id')
  // no pg_refund_amount: the whole remaining amount goes back
  const requested = params.pg_refund_amount === undefined ? null : parseMajorUnits(params.pg_refund_amount)
  if (params.pg_refund_amount !== undefined && (requested === null || requested <= 0n)) {
    return signedError(bank, script, SCRIPT_ERRORS.badParameter, 'pg_refund_amount')
  }
  // under the payment's row lock, so two refunds at once can never exceed it
  const decision = await bank.db.transaction().execute(async (trx): Promise<RevokeDecision> => {
    const payment = await findPayment(trx, bank.merchantId, paymentId, { lock: true })
    if (payment === null) return { refused: SCRIPT_ERRORS.notFound }
    if (payment.status !== 'paid') return { refused: SCRIPT_ERRORS.refundImpossible, detail: 'платеж не оплачен' }
    const remaining = payment.amount - payment.refundedAmount
    if (remaining === 0n) return { refused: SCRIPT_ERRORS.refundImpossible, detail: 'платеж уже возвращен полностью' }
    const amount = requested ?? remaining
    if (amount > remaining) return { refused: SCRIPT_ERRORS.refundImpossible, detail: 'сумма возврата больше остатка платежа' }
    return { refundId: await addRefund(trx, payment.id, amount), paymentId: payment.id, amount }
  })
  if ('refused' in decision) return signedError(bank, script, decision.refused, decision.detail)
  return signedXml(script, {
    pg_status: 'ok',
    pg_payment_id: decision.paymentId,
    pg_refund_payment_id: decision.refundId,
    pg_refund_amount: formatMinorUnits(decision.amount)
  }, bank.secretKey)
}
