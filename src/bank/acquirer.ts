/**
 * The FFIN Payments / Freedom Pay merchant API behind the bank port
 * (docs/bank-protocol.md): signed form POSTs, signed XML answers. Every failure is
 * translated here, once, into the port's errors.
 */
import type { Language } from '../lib/i18n.js'
import { formatMinorUnits, parseMajorUnits } from '../lib/money.js'
import { toBankPaymentStatus } from './payment-status.js'
import { parseBankTime } from './time.js'
import { callbackReply, readCallback } from './callbacks.js'
import {
  BankProtocolError, BankRejectedError, BankTimeoutError, BankUnavailableError,
  type BankPaymentStatus, type BankProvider, type InitPaymentRequest, type InitPaymentResult,
  type PaymentRef, type PaymentStatusResult, type RefundResult
} from './provider.js'
import { randomSalt, signParams } from './signature.js'
import { parseXmlResponse } from './xml.js'
import { verifyXmlSignature } from './xml-signature.js'

export interface AcquirerOptions {
  /** e.g. 'https://api.freedompay.kz' or our sandbox, '…/sandbox/bank' */
  baseUrl: string
  merchantId: string
  secretKey: string
  timeoutMs: number
  fetch?: typeof fetch
  /** Told of every call: script, outcome (the pg_status, or unavailable / protocol_error) and seconds. */
  observe?: (script: string, outcome: string, seconds: number) => void
}

const INIT_PAYMENT = 'init_payment.php'
const GET_STATUS = 'get_status3.php'
const REVOKE = 'revoke.php'

// 'no such payment': 340 in the Platron/PayBox code list the protocol comes
// from; 11068 as integrators report it from the live API (not in public docs)
const NOT_FOUND_CODES = new Set(['340', '11068'])
const INTERNAL_ERROR_CODE = '1000'
const PAID_STATUSES = new Set<BankPaymentStatus>(['succeeded', 'partially_refunded', 'refunded', 'revoked'])
// pg_payment_date is local time without a zone; Kazakhstan has one zone, UTC+5, since March 2024

interface Answer { fields: Record<string, string>, signed: boolean }

function transportError (script: string, error: unknown): BankUnavailableError {
  const name = error instanceof Error ? error.name : ''
  if (name === 'TimeoutError' || name === 'AbortError') return new BankTimeoutError(`${script}: no answer in time`, { cause: error })
  return new BankUnavailableError(`${script}: the bank is unreachable`, { cause: error })
}

function rejection (script: string, fields: Record<string, string>): BankRejectedError {
  const code = fields.pg_error_code ?? null
  const description = fields.pg_error_description ?? fields.pg_description ?? null
  return new BankRejectedError(`${script} answered ${fields.pg_status ?? '?'}${code === null ? '' : ` ${code}`}`, code, description)
}

function required (script: string, fields: Record<string, string>, name: string): string {
  const value = fields[name]
  if (value === undefined || value === '') throw new BankUnavailableError(`${script}: the answer has no ${name}`)
  return value
}

function amountOf (script: string, name: string, text: string): bigint {
  // the bank writes refunds negative ('-10'); amounts may come without decimals ('10')
  const amount = parseMajorUnits(text.replace(/^-/, ''))
  if (amount === null) throw new BankUnavailableError(`${script}: ${name} is not an amount`)
  return amount
}

function nonEmpty (text: string | undefined): string | null {
  return text === undefined || text === '' ? null : text
}

/** pg_language, "language of the payment pages" (ISO 639-1 as Freedom Pay spells it: ru, en, kz, kg, uz). */
const BANK_LANGUAGES: Record<Language, string> = { kk: 'kz', ru: 'ru', en: 'en' }

/** Parameters without the optional ones left out or empty: the bank signs exactly what it receives. */
function presentParams (params: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(Object.entries(params).filter((entry): entry is [string, string] => entry[1] !== undefined && entry[1] !== ''))
}

export function createAcquirer (options: AcquirerOptions): BankProvider {
  const base = options.baseUrl.replace(/\/+$/, '')
  const send = options.fetch ?? fetch

  /** Every call is observed (metrics): its script, outcome and duration. */
  async function call (script: string, params: Record<string, string>): Promise<Answer> {
    const started = performance.now()
    let outcome = 'unavailable'
    try {
      const answer = await exchange(script, params)
      outcome = answer.fields.pg_status ?? 'unknown'
      return answer
    } catch (error) {
      outcome = error instanceof BankProtocolError ? 'protocol_error' : error instanceof BankTimeoutError ? 'timeout' : 'unavailable'
      throw error
    } finally {
      options.observe?.(script, outcome, (performance.now() - started) / 1000)
    }
  }

  async function exchange (script: string, params: Record<string, string>): Promise<Answer> {
    const request = { ...params, pg_merchant_id: options.merchantId, pg_salt: randomSalt() }
    const body = new URLSearchParams({ ...request, pg_sig: signParams(script, request, options.secretKey) })
    let response: Response
    let xml: string
    try {
      response = await send(`${base}/${script}`, { method: 'POST', body, signal: AbortSignal.timeout(options.timeoutMs) })
      xml = await response.text()
    } catch (error) {
      throw transportError(script, error)
    }
    if (!response.ok) throw new BankUnavailableError(`${script}: HTTP ${response.status}`)
    let fields: Record<string, string>
    try {
      fields = parseXmlResponse(xml)
    } catch (error) {
      throw new BankUnavailableError(`${script}: the answer is not the bank's XML`, { cause: error })
    }
    const signed = fields.pg_sig !== undefined
    if (signed && !verifyXmlSignature(script, xml, options.secretKey)) {
      throw new BankProtocolError(`${script}: the answer's pg_sig does not verify`)
    }
    // the bank leaves an answer unsigned only when it could not tell who we
    // are (pg_error_code 9998): such an answer may say no, never yes
    if (!signed && fields.pg_status !== 'error') throw new BankProtocolError(`${script}: the answer is not signed`)
    // 1000, 'internal error, may not repeat on a retry' in the inherited code list:
    // the bank failed on its side, so nothing is known and a later try may work
    if (signed && fields.pg_status === 'error' && fields.pg_error_code === INTERNAL_ERROR_CODE) {
      throw new BankUnavailableError(`${script}: the bank reported an internal error (${INTERNAL_ERROR_CODE})`)
    }
    if (!['ok', 'error', 'rejected'].includes(fields.pg_status ?? '')) {
      throw new BankUnavailableError(`${script}: unknown pg_status ${JSON.stringify(fields.pg_status ?? '')}`)
    }
    return { fields, signed }
  }

  async function initPayment (req: InitPaymentRequest): Promise<InitPaymentResult> {
    if (req.amount <= 0n) throw new RangeError('a payment amount must be positive')
    const { fields } = await call(INIT_PAYMENT, presentParams({
      pg_order_id: req.orderId,
      pg_amount: formatMinorUnits(req.amount),
      pg_currency: req.currency,
      pg_description: req.description,
      pg_lifetime: String(req.lifetimeSeconds),
      pg_check_url: req.checkUrl,
      pg_result_url: req.resultUrl,
      pg_success_url: req.successUrl,
      pg_failure_url: req.failureUrl,
      // our callbacks are form POSTs
      pg_request_method: 'POST',
      pg_language: req.language === undefined ? undefined : BANK_LANGUAGES[req.language],
      // the bank's examples carry phones as bare digits ('77011234567')
      pg_user_phone: req.userPhone?.replace(/\D/g, ''),
      pg_user_contact_email: req.userEmail,
      pg_user_ip: req.userIp
    }))
    if (fields.pg_status !== 'ok') throw rejection(INIT_PAYMENT, fields)
    const redirectUrl = required(INIT_PAYMENT, fields, 'pg_redirect_url')
    if (!/^https?:\/\//i.test(redirectUrl)) throw new BankUnavailableError(`${INIT_PAYMENT}: pg_redirect_url is not a web address`)
    return { bankPaymentId: required(INIT_PAYMENT, fields, 'pg_payment_id'), redirectUrl }
  }

  async function getStatus (ref: PaymentRef): Promise<PaymentStatusResult | null> {
    const byId = 'bankPaymentId' in ref
    const { fields, signed } = await call(
      GET_STATUS,
      byId ? { pg_payment_id: ref.bankPaymentId } : { pg_order_id: ref.orderId }
    )
    if (fields.pg_status !== 'ok') {
      if (signed && NOT_FOUND_CODES.has(fields.pg_error_code ?? '')) return null
      throw rejection(GET_STATUS, fields)
    }
    const bankPaymentId = required(GET_STATUS, fields, 'pg_payment_id')
    const orderId = fields.pg_order_id ?? (byId ? undefined : ref.orderId)
    if (orderId === undefined) throw new BankUnavailableError(`${GET_STATUS}: the answer has no pg_order_id`)
    if (byId ? bankPaymentId !== ref.bankPaymentId : orderId !== ref.orderId) {
      throw new BankUnavailableError(`${GET_STATUS}: the answer is about another payment`)
    }
    const amount = amountOf(GET_STATUS, 'pg_amount', required(GET_STATUS, fields, 'pg_amount'))
    const refunded = nonEmpty(fields.pg_refund_amount)
    const refundedAmount = refunded === null ? 0n : amountOf(GET_STATUS, 'pg_refund_amount', refunded)
    const status = toBankPaymentStatus(fields.pg_payment_status ?? '', amount, refundedAmount)
    if (status === null) throw new BankUnavailableError(`${GET_STATUS}: unknown pg_payment_status ${JSON.stringify(fields.pg_payment_status ?? '')}`)
    return {
      bankPaymentId,
      orderId,
      status,
      amount,
      currency: required(GET_STATUS, fields, 'pg_currency'),
      refundedAmount,
      cardMask: nonEmpty(fields.pg_card_pan),
      paidAt: PAID_STATUSES.has(status) ? parseBankTime(fields.pg_payment_date) : null,
      failureCode: nonEmpty(fields.pg_failure_code)
    }
  }

  /**
   * `accepted: false` only for the bank's signed refusal (nothing moved);
   * every outcome we cannot know rejects with BankUnavailableError
   * (BankTimeoutError when no answer came in time) or BankProtocolError.
   */
  async function refund (req: { bankPaymentId: string, amount: bigint }): Promise<RefundResult> {
    if (req.amount <= 0n) throw new RangeError('a refund amount must be positive')
    const { fields, signed } = await call(REVOKE, {
      pg_payment_id: req.bankPaymentId,
      pg_refund_amount: formatMinorUnits(req.amount)
    })
    if (fields.pg_status === 'ok') {
      return {
        accepted: true,
        ...presentParams({ refundId: fields.pg_refund_payment_id, description: fields.pg_description })
      }
    }
    // an unsigned refusal only says the bank did not recognise us: not an
    // answer about the refund, so its outcome is unknown (never `accepted: false`)
    if (!signed) throw new BankUnavailableError(`${REVOKE}: an unsigned refusal is no answer about the refund`, { cause: rejection(REVOKE, fields) })
    // signed and not ok (1000 already became BankUnavailableError in call()): the bank's definite no
    return {
      accepted: false,
      ...presentParams({
        description: fields.pg_error_description ?? fields.pg_description,
        errorCode: fields.pg_error_code
      })
    }
  }

  return {
    initPayment,
    getStatus,
    refund,
    readCallback: (kind, form) => readCallback(kind, form, options.secretKey),
    callbackReply: (kind, status, description) => callbackReply(kind, status, description, options.secretKey)
  }
}
