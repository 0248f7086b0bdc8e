// The Kaspi app, as the sandbox plays it: the payer types a payment code and an amount, Kaspi asks the biller
// (`check`), takes the money and tells the biller (`pay`), and, as Kaspi does when it is not sure its pay was heard,
// tells it again with the same txn_id (the repeat must change nothing). Over real HTTP to the biller's channel, as
// Kaspi would call it; each answer is kept as received.
import { randomInt } from 'node:crypto'
import { DomainError } from '../../lib/errors.js'
import { formatKaspiTime } from '../../lib/kaspi-time.js'
import { formatMinorUnits } from '../../lib/money.js'
import { deleteKaspiTransaction, insertKaspiTransaction } from './repository.js'
import type { Handle } from '../../db/database.js'
import type { FastifyBaseLogger } from 'fastify'

/** Kaspi waits this long for an answer (DESIGN 17). */
export const KASPI_TIMEOUT_MS = 15_000

/** An answer of the protocol, parsed from its JSON as received. */
export interface ProtocolAnswer { result: number, [field: string]: unknown }

export interface KaspiAppSide {
  db: Handle
  /** The biller's channel: `PUBLIC_BASE_URL/v1/channels/kaspi`. */
  channelUrl: string
  timeoutMs?: number
  log: FastifyBaseLogger
}

export interface PlayedPayment {
  txnId: string
  check: ProtocolAnswer
  pay: ProtocolAnswer | null
  repeat: ProtocolAnswer | null
}

/** A transaction id as Kaspi's look: 18 digits, the time in milliseconds then five random ones. */
function drawTxnId (): string {
  return `${Date.now()}${String(randomInt(100_000)).padStart(5, '0')}`
}

async function call (
  side: KaspiAppSide, params: Record<string, string>
): Promise<{ text: string, answer: ProtocolAnswer }> {
  const url = `${side.channelUrl}?${new URLSearchParams(params).toString()}`
  let status: number
  let text: string
  try {
    const response = await fetch(url, { redirect: 'manual', signal: AbortSignal.timeout(side.timeoutMs ?? KASPI_TIMEOUT_MS) })
    status = response.status
    text = await response.text()
  } catch (err) {
    throw unreachable(side, (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).name)
  }
  let answer: unknown = null
  try { answer = JSON.parse(text) } catch { /* not the protocol: below */ }
  if (status !== 200 || typeof (answer as ProtocolAnswer | null)?.result !== 'number') {
    throw unreachable(side, `HTTP ${status}${status === 403 ? ': is this address in KASPI_ALLOWED_IPS?' : ''}`)
  }
  return { text, answer: answer as ProtocolAnswer }
}

function unreachable (side: KaspiAppSide, why: string): DomainError {
  return new DomainError('kaspi_channel_unavailable', `The Kaspi sandbox got no protocol answer from ${side.channelUrl} (${why})`)
}

/**
 * Check, pay and the same pay again. Kaspi takes the money once the check says 0, so the transaction is in its
 * registry from then on, unless the biller refuses the pay for good (Kaspi gives the money back). `skipPay`: the pay
 * never reaches the biller (a fault), and the registry lists it all the same.
 */
export async function playPayment (
  side: KaspiAppSide, input: { account: string, amount: bigint, skipPay: boolean }
): Promise<PlayedPayment> {
  const txnId = drawTxnId()
  const sum = formatMinorUnits(input.amount)
  const check = await call(side, { command: 'check', txn_id: txnId, account: input.account, sum })
  if (check.answer.result !== 0) return { txnId, check: check.answer, pay: null, repeat: null }

  const txnDate = new Date(Math.floor(Date.now() / 1000) * 1000)
  await insertKaspiTransaction(side.db, {
    txnId, txnDate, account: input.account, sum: input.amount, delivered: !input.skipPay
  })
  if (input.skipPay) return { txnId, check: check.answer, pay: null, repeat: null }

  const params = { command: 'pay', txn_id: txnId, account: input.account, sum, txn_date: formatKaspiTime(txnDate) }
  const pay = await call(side, params)
  const repeat = await call(side, params)
  if (repeat.text !== pay.text && repeat.answer.result !== 4 && pay.answer.result !== 4) {
    side.log.error({ txnId }, 'Kaspi sandbox: the repeated pay got another answer than the pay')
  }
  // 0: paid; 4: in progress, Kaspi keeps asking; anything else is the biller's final no
  if (repeat.answer.result !== 0 && repeat.answer.result !== 4) await deleteKaspiTransaction(side.db, txnId)
  return { txnId, check: check.answer, pay: pay.answer, repeat: repeat.answer }
}
