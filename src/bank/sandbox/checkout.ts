/**
 * The hosted payment page's story: show the form, take a card or a
 * decline, ask the merchant (check), settle the payment once, tell the
 * merchant (result) and send the customer back to the merchant's site.
 */
import type { FastifyBaseLogger } from 'fastify'
import { APPROVING_CARD, readCard, type EnteredCard } from './card.js'
import { callMerchant } from './callbacks.js'
import { sendCallback, type CallbackSide } from './callback-queue.js'
import { PAYMENT_FAILURES } from './codes.js'
import { expireIfDue } from './expiry.js'
import { checkParams, resultParams, type ResultOutcome } from './merchant-params.js'
import { finishedPage, notFoundPage, paymentPage, processingPage } from './page.js'
import { findPayment, transitionPayment } from './repository.js'
import { DEFAULT_LANGUAGE, languageOfTag, type Language } from '../../lib/i18n.js'
import { atReturnOrigin, formParams, type BankSide } from './scripts.js'
import type { SandboxPayment, SandboxPaymentStatus } from './types.js'

export interface CheckoutSide extends BankSide, CallbackSide {
  merchantName: string
  log: FastifyBaseLogger
}

export type PageResult =
  | { kind: 'page', statusCode: number, html: string, formActionOrigins: string[] }
  | { kind: 'redirect', location: string }

type Card = Pick<EnteredCard, 'mask' | 'brand'>

function page (statusCode: number, html: string, formActionOrigins: string[] = []): PageResult {
  return { kind: 'page', statusCode, html, formActionOrigins }
}

/**
 * Where the payer goes back to once the payment is paid or failed: checked again here, not only at init, so a
 * payment started before the rule (or before AGENCY_WEBSITE changed) still never sends anyone elsewhere.
 */
function returnUrl (side: CheckoutSide, payment: SandboxPayment, paid: boolean): string | undefined {
  const url = paid ? payment.params.pg_success_url : payment.params.pg_failure_url
  return url !== undefined && atReturnOrigin(url, side.returnOrigins) ? url : undefined
}

function merchantOrigins (side: CheckoutSide, payment: SandboxPayment): string[] {
  return [returnUrl(side, payment, true), returnUrl(side, payment, false)]
    .filter((url): url is string => url !== undefined)
    .map((url) => new URL(url).origin)
}

/** The page's language: the real bank's pg_language (ru, en, kz...), ours where we have it, else ru. */
export function pageLanguage (payment: SandboxPayment): Language {
  return languageOfTag(payment.params.pg_language ?? '') ?? DEFAULT_LANGUAGE
}

function formPage (
  side: CheckoutSide, payment: SandboxPayment, path: string, statusCode: number, error?: string
): PageResult {
  const view = {
    merchantName: side.merchantName,
    amount: payment.amount,
    description: payment.description,
    orderId: payment.orderId,
    action: path
  }
  const html = paymentPage(pageLanguage(payment), error === undefined ? view : { ...view, error })
  return page(statusCode, html, merchantOrigins(side, payment))
}

/** Where the customer goes now that the payment is as it is. */
function settled (side: CheckoutSide, payment: SandboxPayment, path: string): PageResult {
  if (payment.status === 'pending') return formPage(side, payment, path, 200)
  if (payment.status === 'processing') return page(200, processingPage(pageLanguage(payment), path))
  const paid = payment.status === 'paid'
  const target = returnUrl(side, payment, paid)
  // normalised: a Location header carries no raw non-ASCII
  if (target !== undefined) return { kind: 'redirect', location: new URL(target).href }
  return page(200, finishedPage(pageLanguage(payment), paid, side.merchantName, payment.failureDescription))
}

async function notifyResult (side: CheckoutSide, payment: SandboxPayment, outcome: ResultOutcome): Promise<void> {
  const url = payment.params.pg_result_url
  if (url === undefined) return
  // durable: retried by the poller until delivered or given up
  await sendCallback(side, { paymentId: payment.id, kind: 'result', url, params: resultParams(payment, outcome) })
}

/** The payment as it is now; one that has just outlived pg_lifetime fails here and the merchant hears of it. */
async function currentPayment (side: CheckoutSide, id: string): Promise<SandboxPayment | null> {
  const found = await findPayment(side.db, side.merchantId, id)
  if (found === null) return null
  const { payment, expired } = await expireIfDue(side.db, found)
  if (expired) await notifyResult(side, payment, { paid: false, failure: PAYMENT_FAILURES.expired, card: null })
  return payment
}

/** pg_check_url: no answer, a bad signature or anything but a signed 'ok' stops the payment, as at the bank. */
async function askMerchant (side: CheckoutSide, payment: SandboxPayment, card: Card): Promise<ResultOutcome> {
  const url = payment.params.pg_check_url
  if (url === undefined) return { paid: true, paidAt: new Date(), card }
  try {
    const reply = await callMerchant({
      url,
      params: checkParams(payment),
      secretKey: side.secretKey,
      timeoutMs: side.callbackTimeoutMs
    })
    const trusted = reply.httpStatus === 200 && reply.signed
    if (trusted && reply.status === 'ok') return { paid: true, paidAt: new Date(), card }
    if (trusted && reply.status === 'rejected') {
      return {
        paid: false,
        failure: {
          code: PAYMENT_FAILURES.merchantRefused.code,
          description: reply.description || PAYMENT_FAILURES.merchantRefused.description
        },
        card
      }
    }
    side.log.warn({ httpStatus: reply.httpStatus, status: reply.status, signed: reply.signed }, 'sandbox bank: the merchant did not confirm the check')
  } catch (error) {
    side.log.warn({ reason: error instanceof Error ? error.name : 'unknown' }, 'sandbox bank: the check callback failed')
  }
  return { paid: false, failure: PAYMENT_FAILURES.merchantUnavailable, card }
}

/** Settles the payment from the status it was taken in, once; a request that lost the race just follows the winner. */
async function finish (
  side: CheckoutSide, payment: SandboxPayment, from: SandboxPaymentStatus, outcome: ResultOutcome, path: string
): Promise<PageResult> {
  const card = { card_mask: outcome.card?.mask ?? null, card_brand: outcome.card?.brand ?? null }
  const finished = await transitionPayment(side.db, payment.id, [from], outcome.paid
    ? { status: 'paid', paid_at: outcome.paidAt, finished_at: outcome.paidAt, ...card }
    : { status: 'failed', failure_code: outcome.failure.code, failure_description: outcome.failure.description, finished_at: new Date(), ...card })
  if (finished === null) return await showPaymentPage(side, payment.id, path)
  await notifyResult(side, finished, outcome)
  return settled(side, finished, path)
}

export async function showPaymentPage (side: CheckoutSide, id: string, path: string): Promise<PageResult> {
  const payment = await currentPayment(side, id)
  return payment === null ? page(404, notFoundPage(DEFAULT_LANGUAGE)) : settled(side, payment, path)
}

/**
 * The form's POST. A payment is taken (pending -> processing) by exactly one
 * request; a second Pay, a Decline racing it, or a reload of a finished
 * payment never charges again, it only follows the payment where it went.
 */
export async function submitPaymentForm (
  side: CheckoutSide, id: string, body: unknown, path: string
): Promise<PageResult> {
  const payment = await currentPayment(side, id)
  if (payment === null) return page(404, notFoundPage(DEFAULT_LANGUAGE))
  if (payment.status !== 'pending') return settled(side, payment, path)
  const form = formParams(body) ?? {}
  if (form.action === 'decline') {
    return await finish(side, payment, 'pending', { paid: false, failure: PAYMENT_FAILURES.customerDeclined, card: null }, path)
  }
  if (form.action !== 'pay') return formPage(side, payment, path, 400, 'bank.pay.chooseAction')
  const entered = readCard(form)
  if ('error' in entered) return formPage(side, payment, path, 422, entered.error)
  const taken = await transitionPayment(side.db, payment.id, ['pending'], { status: 'processing' })
  if (taken === null) return await showPaymentPage(side, payment.id, path)
  const card = { mask: entered.card.mask, brand: entered.card.brand }
  const outcome: ResultOutcome = entered.card.digits === APPROVING_CARD
    ? await askMerchant(side, taken, card)
    : { paid: false, failure: PAYMENT_FAILURES.cardDeclined, card }
  return await finish(side, taken, 'processing', outcome, path)
}
