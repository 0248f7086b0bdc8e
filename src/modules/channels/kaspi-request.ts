// What Kaspi's check/pay request says, read by hand from the query string (DESIGN 17): every missing or malformed
// parameter is the protocol's `result` 5 with a comment, never a 400 problem, so no schema validates this route.
// Parameters this does not know are left alone (Kaspi may add some); a parameter given twice is refused.
import { formatMinorUnits, parseMajorUnits } from '../../lib/money.js'
import { parseKaspiTime } from '../../lib/kaspi-time.js'
import { KASPI_RESULT, kaspiAnswerText } from '../payments/kaspi.js'

export const KASPI_COMMANDS = ['check', 'pay'] as const
export type KaspiCommand = typeof KASPI_COMMANDS[number]

/** Kaspi's transaction id and the account: 1-64 printable ASCII characters (the stored id's bound, migration 0029). */
export const KASPI_TOKEN = /^[\x21-\x7e]{1,64}$/
/** The largest sum a pay may carry, in tiyn: 10 trillion tenge, as every amount of the API (MAX_AMOUNT). */
export const KASPI_MAX_SUM = 1_000_000_000_000_000n

export type KaspiRequest =
  | { command: 'check', txnId: string, account: string }
  | { command: 'pay', txnId: string, account: string, sum: bigint, txnDate: Date | null }

/** A request that cannot be served: the answer (`result` 5, with what is wrong) and what the log may say of it. */
export interface KaspiRefusal { command: string, txnId: string, answer: string }

function single (query: Record<string, unknown>, name: string): string | undefined | null {
  const value = query[name]
  if (value === undefined || value === '') return undefined
  return typeof value === 'string' ? value : null
}

/** The request, or the answer that refuses it. */
export function readKaspiRequest (query: unknown): KaspiRequest | KaspiRefusal {
  const params = (typeof query === 'object' && query !== null ? query : {}) as Record<string, unknown>
  const rawCommand = single(params, 'command')
  const command = typeof rawCommand === 'string' && (KASPI_COMMANDS as readonly string[]).includes(rawCommand)
    ? rawCommand as KaspiCommand
    : 'unknown'
  const rawTxnId = single(params, 'txn_id')
  const txnId = typeof rawTxnId === 'string' && KASPI_TOKEN.test(rawTxnId) ? rawTxnId : ''
  const refuse = (comment: string, sum = '0.00'): KaspiRefusal => ({
    command,
    txnId,
    answer: kaspiAnswerText({ txn_id: txnId, result: KASPI_RESULT.other, sum, comment })
  })

  for (const name of ['command', 'txn_id', 'account', 'sum', 'txn_date']) {
    if (single(params, name) === null) return refuse(`${name} is given more than once`)
  }
  if (rawCommand === undefined) return refuse('command is missing: check or pay')
  if (command === 'unknown') return refuse('command must be check or pay')
  if (rawTxnId === undefined) return refuse('txn_id is missing')
  if (txnId === '') return refuse('txn_id must be 1-64 printable ASCII characters')
  const account = single(params, 'account')
  if (account === undefined) return refuse('account is missing: the payment code')
  if (typeof account !== 'string' || !KASPI_TOKEN.test(account)) return refuse('account must be 1-64 printable ASCII characters')
  if (command === 'check') return { command, txnId, account }

  const rawSum = single(params, 'sum')
  if (rawSum === undefined) return refuse('sum is missing: tenge with two decimals, 1500.00')
  const sum = typeof rawSum === 'string' ? parseMajorUnits(rawSum) : null
  if (sum === null) return refuse('sum must be tenge with at most two decimals, 1500.00')
  if (sum <= 0n) return refuse('sum must be positive', formatMinorUnits(sum))
  if (sum > KASPI_MAX_SUM) return refuse('sum is larger than any debt')
  // Kaspi dates every pay; one without a date is still credited (it has taken the money), dated when it arrives
  const rawDate = single(params, 'txn_date')
  const txnDate = typeof rawDate === 'string' ? parseKaspiTime(rawDate) : null
  if (rawDate !== undefined && txnDate === null) {
    return refuse('txn_date must be YYYYMMDDHHMMSS, Almaty time', formatMinorUnits(sum))
  }
  return { command, txnId, account, sum, txnDate }
}

export function isRefusal (request: KaspiRequest | KaspiRefusal): request is KaspiRefusal {
  return 'answer' in request
}
