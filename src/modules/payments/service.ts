import { CURRENCY, moneyOf } from '../../lib/money.js'
import type { FastifyBaseLogger } from 'fastify'
import type { Database, Trx } from '../../db/database.js'
import type { Config } from '../../config.js'
import type { PiiCipher } from '../../lib/crypto.js'
import { ipIndex, phoneIndex } from '../../lib/blind-index.js'
import { fromPublicId, toPublicId, uuidv7 } from '../../lib/ids.js'
import { DomainError } from '../../lib/errors.js'
import { BankTimeoutError, type BankProvider } from '../../bank/provider.js'
import { assertConsentActive, findAcceptance, findFreshAcceptance } from '../acceptances/service.js'
import { findDebt } from '../debts/service.js'
import { assertPaymentFitsLink } from '../payment-links/service.js'
import { checkSoon, findPayment, insertPayment, recordEvent, recordRefusal, updatePayment } from './repository.js'
import { assessRisk } from './risk.js'
import { publishPaymentEvent } from './events.js'
import { clientSecretMatches, newClientSecret } from './client-secret.js'
import { resultPage } from './result-page.js'
import type { CreatedPayment, CreatePaymentInput, Receipt } from './schemas.js'
import type { PaymentRow } from './tables.js'
import { DEFAULT_LANGUAGE, languageOr, type Language } from '../../lib/languages.js'
import { paymentNotFound, paymentPurpose, toPayment } from './views.js'

export interface PaymentDeps {
  db: Database
  pii: PiiCipher
  bank: BankProvider
  config: Config
  log: FastifyBaseLogger
}



export async function findPaymentByPublicId (db: Database, publicId: string): Promise<PaymentRow> {
  const id = fromPublicId('payment', publicId)
  const row = id === null ? undefined : await findPayment(db, id)
  if (row === undefined) throw paymentNotFound()
  return row
}

/**
 * Where the bank sends the payer back. Without a returnUrl: our own result
 * page (a small human page, never raw JSON), always allowed; a caller's
 * returnUrl must be on an allowed host.
 */
function returnUrls (
  config: Config, paymentId: string, returnUrl: string | undefined, language: Language
): { success: string, failure: string } {
  const url = new URL(returnUrl ?? `${config.publicBaseUrl}/v1/payments/${paymentId}/result`)
  // our page speaks the payer's language; a caller's page keeps its own URL
  if (returnUrl === undefined && language !== DEFAULT_LANGUAGE) url.searchParams.set('lang', language)
  if (returnUrl !== undefined && (!config.payments.returnUrlAllowedHosts.includes(url.hostname.toLowerCase()) || !/^https?:$/.test(url.protocol))) {
    throw new DomainError('return_url_not_allowed', `The return URL's host is not allowed; allowed: ${config.payments.returnUrlAllowedHosts.join(', ')}`, { errors: [{ path: 'body.returnUrl', message: 'host not allowed' }] })
  }
  const withResult = (result: string): string => {
    const u = new URL(url)
    u.searchParams.set('paymentId', paymentId)
    u.searchParams.set('result', result)
    return u.toString()
  }
  return { success: withResult('success'), failure: withResult('failure') }
}

/**
 * offer cl. 3, 4, 8: a payment starts from a fresh acceptance, for an active
 * debt, for no more than is outstanding; risk rules may refuse it. The
 * record is written before the bank is called, so it is never lost: a bank
 * error leaves it failed, a timeout leaves it pending for reconciliation.
 */
export async function createPayment (
  deps: PaymentDeps, input: CreatePaymentInput, ctx: { ip: string }
): Promise<CreatedPayment> {
  const acceptance = await findFreshAcceptance(deps.db, input.acceptanceId)
  const debt = await findDebt(deps.db, acceptance.debt_id)
  if (debt === undefined || debt.status !== 'active') throw new DomainError('debt_not_payable', 'This debt can no longer be paid (settled or recalled)')
  const amount = BigInt(input.amount)
  // DESIGN 17: an acceptance made through a payment link pays while the link lives, and what it fixes, if anything
  if (acceptance.payment_link_id !== null) await assertPaymentFitsLink(deps.db, acceptance.payment_link_id, amount)
  const min = deps.config.payments.minAmount
  if (amount < min) {
    throw new DomainError('amount_below_minimum', `The minimum payment is ${min} tiyn`, {
      facts: { minimumAmount: Number(min) },
      errors: [{ path: 'body.amount', message: `must be at least ${min}` }]
    })
  }
  if (amount > debt.outstanding) {
    throw new DomainError('amount_exceeds_outstanding', 'The amount is more than the outstanding balance', {
      facts: { outstanding: moneyOf(debt.outstanding) },
      errors: [{ path: 'body.amount', message: `must be at most ${debt.outstanding}` }]
    })
  }
  const id = uuidv7()
  const publicId = toPublicId('payment', id)
  // the language the payer chose here, else the one they read the offer in
  const language = input.language ?? languageOr(acceptance.offer_language)
  const urls = returnUrls(deps.config, publicId, input.returnUrl, language)
  const clientSecret = newClientSecret(publicId)
  const subject = {
    ipIndex: ipIndex(deps.pii, ctx.ip),
    iinIndex: debt.debtor_iin_index,
    emailIndex: acceptance.payer_email_index,
    amount
  }
  const refusal = await assessRisk(deps.db, deps.config.risk, subject)
  if (refusal !== null) {
    await recordRefusal(deps.db, {
      acceptance_id: acceptance.id,
      reason: refusal,
      amount,
      ip_index: subject.ipIndex,
      iin_index: subject.iinIndex,
      email_index: subject.emailIndex
    })
    deps.log.warn({ reason: refusal }, 'payment refused by a risk rule')
    throw new DomainError('payment_refused', 'The agency cannot accept this payment now (offer cl. 8). Contact support if you believe this is a mistake.', { facts: { reason: refusal } })
  }

  const startedAt = Date.now()
  const expiresAt = new Date(startedAt + deps.config.payments.lifetimeSeconds * 1000)
  await deps.db.transaction().execute(async (trx) => {
    // Erasure locks the acceptances it destroys: re-check under the same lock.
    const locked = await findAcceptance(trx, acceptance.id, { forUpdate: true })
    if (locked === undefined) throw new DomainError('acceptance_not_found', 'No acceptance of the offer with this id')
    assertConsentActive(locked)
    await insertPayment(trx, {
      id,
      acceptance_id: acceptance.id,
      debt_id: debt.id,
      amount,
      currency: CURRENCY,
      return_url: input.returnUrl ?? null,
      ip_index: subject.ipIndex,
      iin_index: subject.iinIndex,
      email_index: subject.emailIndex,
      phone_index: phoneIndex(deps.pii, deps.pii.decrypt(locked.payer_phone_encrypted)),
      expires_at: expiresAt,
      // if no result reaches us by then, reconciliation asks the bank
      next_check_at: new Date(startedAt + deps.config.payments.reconcileAfterSeconds * 1000),
      client_secret_hash: clientSecret.hash
    })
    await recordEvent(trx, id, 'created', { amount: amount.toString(), offerVersion: acceptance.offer_version })
  })

  let init
  try {
    init = await deps.bank.initPayment({
      orderId: publicId,
      amount,
      currency: CURRENCY,
      description: paymentPurpose(debt.contract_number),
      lifetimeSeconds: deps.config.payments.lifetimeSeconds,
      checkUrl: `${deps.config.publicBaseUrl}/v1/callbacks/bank/check`,
      resultUrl: `${deps.config.publicBaseUrl}/v1/callbacks/bank/result`,
      successUrl: urls.success,
      failureUrl: urls.failure,
      language,
      userPhone: deps.pii.decrypt(acceptance.payer_phone_encrypted).replace('+', ''),
      userEmail: deps.pii.decrypt(acceptance.payer_email_encrypted),
      userIp: ctx.ip
    })
  } catch (error) {
    const code = (error as { code?: string }).code ?? 'bank_unavailable'
    deps.log.warn({ err: error, paymentId: publicId }, 'bank did not initialise the payment')
    if (error instanceof BankTimeoutError) {
      // Unknown outcome: the bank may have the order. Reconciliation asks it by order id.
      await deps.db.transaction().execute(async (trx) => {
        await recordEvent(trx, id, 'init_timeout', {})
        await checkSoon(trx, id, new Date())
      })
      throw new DomainError('bank_unavailable',
        'The bank did not answer in time; the payment stays pending and will be reconciled. ' +
        'Check its status before paying again.',
        { facts: { paymentId: publicId, paymentStatus: 'pending', clientSecret: clientSecret.secret } })
    }
    await deps.db.transaction().execute(async (trx) => {
      await updatePayment(trx, id, ['pending'], { status: 'failed', failure_code: 'bank_unavailable' })
      await recordEvent(trx, id, 'init_failed', { code })
      await publishPaymentEvent(trx, 'payment.failed', id)
    })
    throw new DomainError('bank_unavailable', 'The bank could not start the payment; nothing was charged. Try again later.', {
      facts: { paymentId: publicId, paymentStatus: 'failed', clientSecret: clientSecret.secret }
    })
  }
  await deps.db.transaction().execute(async (trx) => {
    await updatePayment(trx, id, ['pending', 'succeeded', 'failed', 'expired'], { bank_payment_id: init.bankPaymentId, redirect_url: init.redirectUrl })
    await recordEvent(trx, id, 'initiated', { bankPaymentId: init.bankPaymentId })
  })
  return { id: publicId, status: 'pending', amount: Number(amount), currency: CURRENCY, debtId: toPublicId('debt', debt.id), redirectUrl: init.redirectUrl, expiresAt: expiresAt.toISOString(), clientSecret: clientSecret.secret }
}

/**
 * The receipt names the payer: only the holder of the payment's client
 * secret reads it. Without it, or with a wrong one, the answer is the very
 * 404 of an unknown payment, so it tells nothing about which ids exist.
 */
export async function getReceipt (deps: Pick<PaymentDeps, 'db' | 'pii' | 'config'>, publicId: string, presentedSecret: string | undefined): Promise<Receipt> {
  const id = fromPublicId('payment', publicId)
  const payment = id === null ? undefined : await findPayment(deps.db, id)
  if (!clientSecretMatches(payment?.client_secret_hash, presentedSecret) || payment === undefined) {
    throw paymentNotFound()
  }
  if ((payment.status !== 'succeeded' && payment.status !== 'returned') || payment.paid_at === null) {
    throw new DomainError('receipt_not_available', `A receipt exists only for a paid payment; this one is ${payment.status}`)
  }
  const acceptance = payment.acceptance_id === null ? undefined : await findAcceptance(deps.db, payment.acceptance_id)
  const debt = await findDebt(deps.db, payment.debt_id)
  if (acceptance === undefined || debt === undefined) throw paymentNotFound()
  const { name, bin, iban, bank, bic, address, supportEmail } = deps.config.agency
  return {
    paymentId: publicId,
    status: payment.status,
    agency: { name, bin, iban, bank, bic, address, supportEmail },
    payerName: deps.pii.decrypt(acceptance.payer_full_name_encrypted),
    contractNumber: debt.contract_number,
    creditor: debt.creditor,
    purpose: paymentPurpose(debt.contract_number),
    amount: moneyOf(payment.amount),
    refundedAmount: Number(payment.refunded_amount),
    paidAt: payment.paid_at.toISOString(),
    bankPaymentId: payment.bank_payment_id,
    cardMask: payment.card_mask,
    offerVersion: acceptance.offer_version,
    offerLanguage: languageOr(acceptance.offer_language)
  }
}

/** The human page behind our default return URL (no personal data: anyone with the id may open it). */
export async function getResultPage (
  deps: Pick<PaymentDeps, 'db' | 'config'>, publicId: string, language: Language
): Promise<string> {
  const payment = await findPaymentByPublicId(deps.db, publicId)
  return resultPage(language, {
    paymentId: publicId,
    status: payment.status,
    amount: payment.amount,
    paidAt: payment.paid_at,
    agencyName: deps.config.agency.name,
    website: deps.config.agency.website
  })
}

export { toPayment, paymentNotFound }
export { toPartnerPayment } from './views.js'

// A payment as its creditor sees it, for the partner API and the events (payments own this view).
export { findCreditorPayment, findPaymentWithDebt, listCreditorPayments, payerNameOf, type PartnerPaymentRow } from './partner-view.js'

// A channel's registry disagrees with a payment (the channels module compares them).
export {
  flagPayoutDisagreement, flagRegistryDisagreement, markPaymentsSettled, type PayoutDisagreement,
  type RegistryDisagreement
} from './registry-review.js'

// What other modules read and record of a payment (refunds, receipts): the row, and a line in its own history.
export { findPayment, recordEvent as recordPaymentEvent } from './repository.js'

/** The kinds of refund (the refunds module's): only a return changes the payment's status. */
type RefundKindPaid = 'refund' | 'return' | 'bank_reported' | 'external'

/** A refund or a return was paid out: the payment's refunded total grows; a return also marks it returned. */
export async function recordRefundPaid (
  trx: Trx, payment: PaymentRow, amount: bigint, kind: RefundKindPaid
): Promise<void> {
  await updatePayment(trx, payment.id, [payment.status], {
    refunded_amount: payment.refunded_amount + amount,
    ...(kind === 'return' ? { status: 'returned' } : {})
  })
}
