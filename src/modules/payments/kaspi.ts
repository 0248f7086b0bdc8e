// Kaspi's check/pay protocol (DESIGN 17), the money side: what a payment code shows Kaspi, and a pay credited exactly
// once per Kaspi transaction id. The HTTP side (parameters, the address allowlist, the deadline) is the channel's
// route; this answers with the protocol's JSON text, which a repeated pay receives again byte for byte.
//
// Exactly once: a pay takes a transaction-scoped advisory lock on its txn_id, then looks for the stored answer. The
// first one writes the payment, its ledger entry and the answer in one transaction; one running in parallel waits
// for the lock and finds the answer; one arriving days later, or after a crash between our commit and our reply,
// finds it too. Kaspi has taken the payer's money before it calls pay, so a pay is credited even when the debt closed
// or was recalled meanwhile: what the debt cannot absorb is held as overpaid and flagged for review.
import type { Database, Trx } from '../../db/database.js'
import type { PiiCipher } from '../../lib/crypto.js'
import { CURRENCY, formatMinorUnits } from '../../lib/money.js'
import { isPaymentCode } from '../../lib/payment-code.js'
import { maskName } from '../../lib/names.js'
import { uuidv7 } from '../../lib/ids.js'
import { agencyTermsOf } from '../creditors/service.js'
import { findDebt, findDebtByPaymentCode } from '../debts/service.js'
import { followOutstanding } from '../debts/status.js'
import { receivePayment } from '../ledger/service.js'
import { publishPaymentEvent } from './events.js'
import {
  findKaspiAnswer, flagForReview, insertKaspiTransaction, insertPayment, lockKaspiTxn, nextKaspiPrvTxnId, recordEvent
} from './repository.js'
import type { DebtRow } from '../debts/tables.js'

/** The protocol's result codes. */
export const KASPI_RESULT = {
  ok: 0,
  accountNotFound: 1,
  /** the debt was recalled by its creditor */
  cancelled: 2,
  /** nothing outstanding */
  alreadyPaid: 3,
  inProgress: 4,
  other: 5
} as const

export type KaspiResult = typeof KASPI_RESULT[keyof typeof KASPI_RESULT]

/** An answer, its keys in the protocol's order. `sum` is tenge with two decimals. */
export interface KaspiAnswer {
  txn_id: string
  prv_txn_id?: string
  result: KaspiResult
  sum: string
  comment?: string
  fields?: { debtor_name: string, creditor: string, contract_number: string }
}

export function kaspiAnswerText (answer: KaspiAnswer): string {
  return JSON.stringify({
    txn_id: answer.txn_id,
    ...(answer.prv_txn_id !== undefined ? { prv_txn_id: answer.prv_txn_id } : {}),
    result: answer.result,
    sum: answer.sum,
    ...(answer.comment !== undefined ? { comment: answer.comment } : {}),
    ...(answer.fields !== undefined ? { fields: answer.fields } : {})
  })
}

interface Deps { db: Database, pii: PiiCipher }

async function debtOfCode (db: Database | Trx, account: string): Promise<DebtRow | undefined> {
  return isPaymentCode(account) ? await findDebtByPaymentCode(db, account) : undefined
}

const NOT_FOUND = 'No debt has this payment code'

/** `check`: whom the code pays and what is outstanding, never the IIN. `sum` of the request is ignored. */
export async function kaspiCheck (deps: Deps, input: { txnId: string, account: string }): Promise<string> {
  const debt = await debtOfCode(deps.db, input.account)
  if (debt === undefined) {
    return kaspiAnswerText({ txn_id: input.txnId, result: KASPI_RESULT.accountNotFound, sum: '0.00', comment: NOT_FOUND })
  }
  const sum = formatMinorUnits(debt.outstanding)
  if (debt.status === 'recalled') {
    return kaspiAnswerText({ txn_id: input.txnId, result: KASPI_RESULT.cancelled, sum, comment: 'The creditor recalled this debt' })
  }
  if (debt.outstanding === 0n) {
    return kaspiAnswerText({ txn_id: input.txnId, result: KASPI_RESULT.alreadyPaid, sum, comment: 'Nothing is outstanding' })
  }
  return kaspiAnswerText({
    txn_id: input.txnId,
    result: KASPI_RESULT.ok,
    sum,
    fields: {
      debtor_name: maskName(deps.pii.decrypt(debt.debtor_name_encrypted)),
      creditor: debt.creditor,
      contract_number: debt.contract_number
    }
  })
}

export interface KaspiPayInput {
  txnId: string
  account: string
  /** tiyn, parsed exactly from Kaspi's "1500.00" */
  sum: bigint
  txnDate: Date | null
}

/**
 * When the payment counts as paid (which day's registry and report hold it): Kaspi's txn_date, as Kaspi's own
 * registry dates it (a pay that reaches us after midnight for a transaction of the evening before belongs to that
 * evening's registry), unless it is nonsense: ahead of our clock by more than a few minutes, or years old. Then it is
 * the moment we credit it; kaspi_transactions keeps Kaspi's date as sent all the same.
 */
const PAID_AT_WINDOW_BEFORE_MS = 5 * 366 * 24 * 60 * 60 * 1000
const PAID_AT_WINDOW_AFTER_MS = 5 * 60 * 1000

export function paidAtOf (txnDate: Date | null, now: Date): Date {
  if (txnDate === null) return now
  const offset = txnDate.getTime() - now.getTime()
  return offset >= -PAID_AT_WINDOW_BEFORE_MS && offset <= PAID_AT_WINDOW_AFTER_MS ? txnDate : now
}

/** A lock wait longer than this answers `result` 4 (in progress): Kaspi asks again, well within its deadline. */
const LOCK_TIMEOUT = '5s'

/**
 * `pay`: credits `sum` to the debt of the code once per txn_id and answers with our transaction id. An unknown code
 * credits nothing and is not stored (the same pay again gets the same answer, computed again).
 */
export async function kaspiPay (deps: Deps, input: KaspiPayInput): Promise<string> {
  if (input.sum <= 0n) {
    return kaspiAnswerText({ txn_id: input.txnId, result: KASPI_RESULT.other, sum: formatMinorUnits(input.sum), comment: 'sum must be positive' })
  }
  try {
    return await deps.db.transaction().execute(async (trx) => await payOnce(trx, input))
  } catch (err) {
    // another pay of the same txn_id holds the lock longer than we wait: Kaspi repeats, and finds the answer then
    if ((err as { code?: string }).code === '55P03') {
      return kaspiAnswerText({ txn_id: input.txnId, result: KASPI_RESULT.inProgress, sum: formatMinorUnits(input.sum), comment: 'In progress, repeat the request' })
    }
    throw err
  }
}

async function payOnce (trx: Trx, input: KaspiPayInput): Promise<string> {
  await lockKaspiTxn(trx, input.txnId, LOCK_TIMEOUT)
  const stored = await findKaspiAnswer(trx, input.txnId)
  if (stored !== undefined) return stored

  const found = await debtOfCode(trx, input.account)
  const sum = formatMinorUnits(input.sum)
  if (found === undefined) {
    return kaspiAnswerText({ txn_id: input.txnId, result: KASPI_RESULT.accountNotFound, sum, comment: NOT_FOUND })
  }
  const now = new Date()
  const payment = await insertPayment(trx, {
    id: uuidv7(),
    channel: 'kaspi',
    kaspi_txn_id: input.txnId,
    acceptance_id: null,
    debt_id: found.id,
    amount: input.sum,
    currency: CURRENCY,
    status: 'succeeded',
    ip_index: null,
    iin_index: null,
    email_index: null,
    expires_at: now,
    paid_at: paidAtOf(input.txnDate, now)
  })
  const debt = await findDebt(trx, found.id, { forUpdate: true }) as DebtRow
  const { applied, excess, outstanding } = await receivePayment(trx, {
    debtId: debt.id, paymentId: payment.id, amount: input.sum, channel: 'kaspi',
    agency: await agencyTermsOf(trx, debt.creditor_id)
  })
  await followOutstanding(trx, debt, outstanding)
  if (excess > 0n) {
    // a debt recalled or paid meanwhile: the money is here all the same, and an operator decides what to do with it
    await flagForReview(trx, payment.id, 'overpaid')
  }
  await recordEvent(trx, payment.id, 'succeeded', {
    source: 'kaspi', txnId: input.txnId, applied: applied.toString(), overpaid: excess.toString()
  })
  const prvTxnId = await nextKaspiPrvTxnId(trx)
  const answer = kaspiAnswerText({ txn_id: input.txnId, prv_txn_id: prvTxnId, result: KASPI_RESULT.ok, sum, comment: 'OK' })
  await insertKaspiTransaction(trx, {
    txn_id: input.txnId,
    prv_txn_id: BigInt(prvTxnId),
    account: input.account,
    sum: input.sum,
    txn_date: input.txnDate,
    payment_id: payment.id,
    result: KASPI_RESULT.ok,
    answer
  })
  await publishPaymentEvent(trx, 'payment.succeeded', payment.id)
  if (excess > 0n) await publishPaymentEvent(trx, 'payment.needs_review', payment.id)
  return answer
}
