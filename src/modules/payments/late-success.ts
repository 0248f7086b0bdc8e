// A success for a payment we hold failed or expired (DESIGN 16). Money the bank took still counts
// (docs/states.md), but such a callback is also what a replayed, renamed failure looks like: its values are
// genuine, only their names moved. So it is credited only once get_status3.php, asked through the bank port as
// reconciliation asks it, says the bank holds exactly this payment's money; otherwise the payment keeps its status
// and is flagged for an operator (needsReview, late_success_unconfirmed). The bank is asked outside any
// transaction, so no row lock waits on the network.
import type { FastifyBaseLogger } from 'fastify'
import { toPublicId } from '../../lib/ids.js'
import { BankError, type BankProvider, type CallbackEvent, type PaymentStatusResult } from '../../bank/provider.js'
import type { Trx } from '../../db/database.js'
import { recordEvent, updatePayment } from './repository.js'
import { publishPaymentEvent } from './events.js'
import type { PaymentRow } from './tables.js'

/** What get_status3.php said: its answer (null: it does not know the payment), or that it could not be asked. */
export type BankWord = { answer: PaymentStatusResult | null } | { unavailable: string }

type Success = Extract<CallbackEvent, { outcome: 'succeeded' }>

export function isLateSuccess (payment: PaymentRow, event: CallbackEvent): boolean {
  if (event.kind !== 'result' || event.outcome !== 'succeeded') return false
  // A pending payment whose init timed out has no bank payment id to hold a success against: a renamed failure
  // (the allowlist does not stop a renaming among documented names) would be credited unchecked. Asked too.
  return payment.status === 'failed' || payment.status === 'expired' ||
    (payment.status === 'pending' && payment.bank_payment_id === null)
}

interface AskDeps { bank: Pick<BankProvider, 'getStatus'>, log: FastifyBaseLogger }

export async function askBank (deps: AskDeps, paymentId: string): Promise<BankWord> {
  const orderId = toPublicId('payment', paymentId)
  try {
    return { answer: await deps.bank.getStatus({ orderId }) }
  } catch (error) {
    // Not knowing is not a yes: the payment is flagged, never credited on a guess.
    if (!(error instanceof BankError)) throw error
    deps.log.warn({ err: error, paymentId: orderId }, 'late success: get_status3 did not answer')
    return { unavailable: error.message.slice(0, 200) }
  }
}

/** Why the bank's word does not confirm this success; null when it does (paid, this payment, its amount). */
function doubt (payment: PaymentRow, success: Success, word: BankWord): string | null {
  if ('unavailable' in word) return 'the bank could not be asked'
  const answer = word.answer
  if (answer === null) return 'the bank does not know the payment'
  // partially or fully refunded at the bank: not this payment's money as we would book it
  if (answer.status !== 'succeeded') return `the bank says ${answer.status}`
  if (answer.amount !== payment.amount || answer.currency !== payment.currency) {
    return 'the bank holds another amount or currency'
  }
  for (const named of [payment.bank_payment_id, success.bankPaymentId]) {
    if (named !== null && answer.bankPaymentId !== named) return 'the bank names another payment'
  }
  return null
}

/**
 * Under the payment's row lock: true when the success may be settled (the bank confirmed it; recorded on the
 * timeline); false when the payment was flagged instead, and nothing else may change.
 */
export async function confirmLateSuccess (
  trx: Trx, payment: PaymentRow, success: Success, word: BankWord
): Promise<boolean> {
  const reason = doubt(payment, success, word)
  const answer = 'answer' in word ? word.answer : null
  const told = answer === null ? {} : {
    bankStatus: answer.status,
    bankAmount: answer.amount.toString(),
    bankPaymentId: answer.bankPaymentId.slice(0, 100)
  }
  const facts = { after: payment.status, ...told }
  if (reason === null) {
    await recordEvent(trx, payment.id, 'bank_success_confirmed', { source: 'get_status3', ...facts })
    return true
  }
  await recordEvent(trx, payment.id, 'bank_success_unconfirmed', { source: 'callback', reason, ...facts })
  // still pending: reconciliation asks the bank in its turn and settles it either way; no operator needed
  if (payment.status === 'pending') return false
  if (!payment.needs_review) {
    const flag = { needs_review: true, review_reason: 'late_success_unconfirmed' }
    await updatePayment(trx, payment.id, [payment.status], flag)
    await publishPaymentEvent(trx, 'payment.needs_review', payment.id)
  }
  return false
}
