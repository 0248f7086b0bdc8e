/**
 * The sandbox bank calling the merchant: signed form POSTs to pg_check_url
 * and pg_result_url, signed XML expected back. One attempt here; the result
 * callback's retries live in the database (callback-queue.ts).
 */
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
  /** Aborts the call early, e.g. when the sandbox shuts down. */
  signal?: AbortSignal
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
    signal: call.signal === undefined
      ? AbortSignal.timeout(call.timeoutMs)
      : AbortSignal.any([AbortSignal.timeout(call.timeoutMs), call.signal])
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

export type AttemptResult =
  | { delivered: true, reply: MerchantReply }
  | { delivered: false, reply: MerchantReply | null, reason: string }

/**
 * One delivery attempt, told how it went and logged: an answer with HTTP 200
 * delivers it; another status, a refused connection or a timeout does not.
 * `ignoreAnswer` sends it but counts it as not delivered whatever the answer
 * (the apply_then_timeout fault: the merchant got it, the bank never heard).
 */
export async function attemptCallback (
  call: MerchantCall, log: FastifyBaseLogger, attempt: number, options: { ignoreAnswer?: boolean } = {}
): Promise<AttemptResult> {
  let reply: MerchantReply
  try {
    reply = await callMerchant(call)
  } catch (error) {
    const reason = failureReason(error)
    log.warn({ url: target(call.url), attempt, reason }, 'sandbox bank: callback not delivered')
    return { delivered: false, reply: null, reason }
  }
  if (options.ignoreAnswer === true) {
    log.warn({ url: target(call.url), attempt, httpStatus: reply.httpStatus }, 'sandbox bank: callback sent, its answer lost (fault injected)')
    return { delivered: false, reply, reason: 'fault injected: apply_then_timeout' }
  }
  if (reply.httpStatus !== 200) {
    log.warn({ url: target(call.url), attempt, httpStatus: reply.httpStatus }, 'sandbox bank: callback answered other than 200')
    return { delivered: false, reply, reason: `HTTP ${reply.httpStatus}` }
  }
  if (!reply.signed) log.warn({ url: target(call.url), attempt }, 'sandbox bank: callback answer is not signed by the merchant')
  return { delivered: true, reply }
}
