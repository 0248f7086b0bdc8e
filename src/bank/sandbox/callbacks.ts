/**
 * The sandbox bank calling the merchant: signed form POSTs to pg_check_url
 * and pg_result_url, signed XML expected back. Like the real bank, the
 * result callback is retried while the merchant does not answer 200, then
 * given up: the payment stays as it is at the bank, and get_status3.php
 * keeps telling the truth.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import type { FastifyBaseLogger } from 'fastify'
import { randomSalt, scriptNameFromPath, signParams } from '../signature.js'
import { parseXmlResponse } from '../xml.js'
import { verifyXmlSignature } from '../xml-signature.js'

export const DEFAULT_RETRY_DELAYS_MS = [200, 500, 1000]
export const DEFAULT_CALLBACK_TIMEOUT_MS = 10_000

export interface MerchantReply {
  httpStatus: number
  /** pg_status of the merchant's XML; null when the answer was not XML. */
  status: string | null
  description: string
  /** Signed by the merchant with the script name of the URL called. */
  signed: boolean
}

export interface MerchantCall {
  url: string
  /** Unsigned: pg_salt and pg_sig are added per attempt. */
  params: Record<string, string>
  secretKey: string
  timeoutMs: number
}

// where a call went, for logs: never the query string, never the parameters (they hold personal data)
function target (url: string): string {
  return url.replace(/[?#].*$/s, '')
}

function failureReason (error: unknown): string {
  if (!(error instanceof Error)) return 'unknown'
  const cause = error.cause as { code?: unknown } | undefined
  return typeof cause?.code === 'string' ? cause.code : error.name
}

/** One signed POST. Rejects on network failure or timeout; any HTTP answer resolves. */
export async function callMerchant (call: MerchantCall): Promise<MerchantReply> {
  const script = scriptNameFromPath(call.url)
  const salted = { ...call.params, pg_salt: randomSalt() }
  const response = await fetch(call.url, {
    method: 'POST',
    body: new URLSearchParams({ ...salted, pg_sig: signParams(script, salted, call.secretKey) }),
    redirect: 'manual',
    signal: AbortSignal.timeout(call.timeoutMs)
  })
  const text = await response.text()
  let fields: Record<string, string> | null = null
  try {
    fields = response.status === 200 ? parseXmlResponse(text) : null
  } catch {
    fields = null
  }
  return {
    httpStatus: response.status,
    status: fields?.pg_status ?? null,
    description: fields?.pg_description ?? '',
    signed: fields !== null && verifyXmlSignature(script, text, call.secretKey)
  }
}

export interface CallbackDelivery extends MerchantCall {
  /** Waits before each retry; its length is the number of retries. */
  retryDelaysMs: number[]
  log: FastifyBaseLogger
}

export interface DeliveryReport {
  delivered: boolean
  attempts: number
  /** The last answer received, if any. */
  reply: MerchantReply | null
}

/**
 * Delivers a callback: an answer with HTTP 200 ends it, anything else
 * (another status, a refused connection, a timeout) is retried after the
 * next delay, and after the last one the bank gives up and says so in the log.
 */
export async function deliverCallback (delivery: CallbackDelivery): Promise<DeliveryReport> {
  let reply: MerchantReply | null = null
  const attempts = delivery.retryDelaysMs.length + 1
  for (let attempt = 1; attempt <= attempts; attempt++) {
    if (attempt > 1) await sleep(delivery.retryDelaysMs[attempt - 2])
    try {
      reply = await callMerchant(delivery)
    } catch (error) {
      delivery.log.warn({ url: target(delivery.url), attempt, reason: failureReason(error) }, 'sandbox bank: callback not delivered')
      continue
    }
    if (reply.httpStatus === 200) {
      if (!reply.signed) delivery.log.warn({ url: target(delivery.url), attempt }, 'sandbox bank: callback answer is not signed by the merchant')
      return { delivered: true, attempts: attempt, reply }
    }
    delivery.log.warn({ url: target(delivery.url), attempt, httpStatus: reply.httpStatus }, 'sandbox bank: callback answered other than 200')
  }
  delivery.log.error({ url: target(delivery.url), attempts }, 'sandbox bank: callback given up; the payment stays as it is at the bank')
  return { delivered: false, attempts, reply }
}
