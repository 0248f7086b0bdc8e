/**
 * What the sandbox bank tells the merchant in its check and result
 * callbacks: the parameters the live bank sends (as its examples and
 * integrators' logs show them), plus the merchant's own non-pg_ parameters
 * from init_payment.php echoed back as the bank does.
 *
 * Left out on purpose: pg_card_exp and pg_card_owner, which the live bank
 * also sends (our callback log must never hold cardholder data), and the
 * payer's pg_user_phone and pg_user_contact_email, which it echoes: the
 * sandbox keeps no personal data to echo (docs/architecture.md, safe by default).
 *
 * Every name sent stays within what the merchant takes for that script
 * (CALLBACK_PARAMS in bank/callbacks.ts; test/bank/callbacks.test.ts holds
 * it to that): a callback with any other name is refused there.
 */
import { formatMinorUnits } from '../../lib/money.js'
import type { Code } from './codes.js'
import type { EnteredCard } from './card.js'
import { formatBankTime } from '../time.js'
import type { SandboxPayment } from './types.js'

export const PAYMENT_SYSTEM = 'SANDBOXCARD'

function merchantOwnParams (payment: SandboxPayment): Record<string, string> {
  return Object.fromEntries(Object.entries(payment.params).filter(([name]) => !name.startsWith('pg_')))
}

function amounts (payment: SandboxPayment): Record<string, string> {
  const amount = formatMinorUnits(payment.amount)
  return {
    pg_amount: amount,
    pg_currency: payment.currency,
    pg_ps_amount: amount,
    pg_ps_full_amount: amount,
    pg_ps_currency: payment.currency,
    pg_payment_system: PAYMENT_SYSTEM
  }
}

/** pg_check_url: may this payment go ahead? */
export function checkParams (payment: SandboxPayment): Record<string, string> {
  return {
    ...merchantOwnParams(payment),
    pg_order_id: payment.orderId,
    pg_payment_id: payment.id,
    ...amounts(payment),
    pg_testing_mode: '1'
  }
}

export type ResultOutcome = { paid: true, paidAt: Date, card: Pick<EnteredCard, 'mask' | 'brand'> }
  | { paid: false, failure: Code, card: Pick<EnteredCard, 'mask' | 'brand'> | null }

/** pg_result_url: pg_result 1 (paid) or 0 (failed). */
export function resultParams (payment: SandboxPayment, outcome: ResultOutcome): Record<string, string> {
  const params: Record<string, string> = {
    ...merchantOwnParams(payment),
    pg_order_id: payment.orderId,
    pg_payment_id: payment.id,
    ...amounts(payment),
    // no fee in the sandbox; the live bank reports 0.00 for a failed payment
    pg_net_amount: outcome.paid ? formatMinorUnits(payment.amount) : '0.00',
    pg_description: payment.description,
    pg_result: outcome.paid ? '1' : '0',
    // the sandbox never offers the merchant to refuse money already taken
    pg_can_reject: '0',
    pg_testing_mode: '1',
    pg_need_phone_notification: '0',
    pg_need_email_notification: '0'
  }
  if (outcome.card !== null) {
    params.pg_card_pan = outcome.card.mask
    if (outcome.card.brand !== '') params.pg_card_brand = outcome.card.brand
  }
  if (outcome.paid) {
    params.pg_payment_date = formatBankTime(outcome.paidAt)
    params.pg_captured = '1'
  } else {
    params.pg_failure_code = outcome.failure.code
    params.pg_failure_description = outcome.failure.description
  }
  return params
}
