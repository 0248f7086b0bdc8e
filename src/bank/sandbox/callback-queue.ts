/**
 * The result callback's retries, durable: each callback is a row in
 * sandbox_bank_callbacks. The first attempt is made at once; a poller in
 * every process claims due rows (FOR UPDATE SKIP LOCKED) and tries again
 * after each delay, then gives up, as the real bank does (it retries a
 * non-200 every 30 min for 2 h; the sandbox's delays are short). A crash
 * between attempts loses nothing: the next process to poll picks it up.
 */
import type { FastifyBaseLogger } from 'fastify'
import { attemptCallback } from './callbacks.js'
import { claimDueCallbacks, consumeFault, insertCallback, recordCallbackAttempt, type QueuedCallback } from './repository.js'
import type { SandboxDb } from './types.js'

export interface CallbackSide {
  db: SandboxDb
  secretKey: string
  /** Waits before each retry; its length is the number of retries. */
  retryDelaysMs: number[]
  callbackTimeoutMs: number
  log: FastifyBaseLogger
}

export const DEFAULT_POLL_INTERVAL_MS = 1000
const CLAIM_BATCH = 20

// a claim outlives the attempt it covers; after a crash the row is due again once it runs out
function leaseMs (side: CallbackSide): number {
  return side.callbackTimeoutMs + 10_000
}

function where (url: string): string {
  return url.replace(/[?#].*$/s, '')
}

/** One attempt of a claimed callback, recorded; result_callback faults act here. */
async function attempt (side: CallbackSide, callback: QueuedCallback, signal?: AbortSignal): Promise<boolean> {
  const number = callback.attempts + 1
  const fault = await consumeFault(side.db, 'result_callback')
  let outcome: { delivered: true } | { delivered: false, reason: string }
  if (fault !== null && fault !== 'apply_then_timeout') {
    side.log.warn({ url: where(callback.url), attempt: number, fault }, 'sandbox bank: callback not sent (fault injected)')
    outcome = { delivered: false, reason: `fault injected: ${fault}` }
  } else {
    const call = {
      url: callback.url,
      params: callback.params,
      secretKey: side.secretKey,
      timeoutMs: side.callbackTimeoutMs,
      ...(signal === undefined ? {} : { signal })
    }
    outcome = await attemptCallback(call, side.log, number, { ignoreAnswer: fault === 'apply_then_timeout' })
  }
  if (outcome.delivered) {
    await recordCallbackAttempt(side.db, callback, { delivered: true })
    return true
  }
  const retryInMs = side.retryDelaysMs[callback.attempts] ?? null
  if (retryInMs === null) side.log.error({ url: where(callback.url), attempts: number }, 'sandbox bank: callback given up; the payment stays as it is at the bank')
  await recordCallbackAttempt(side.db, callback, { delivered: false, error: outcome.reason, retryInMs })
  return false
}

/**
 * Queues a callback and makes its first attempt now. Once the row is
 * written the callback is safe: a failure of the attempt itself (the
 * database, say) is logged and left to the poller.
 */
export async function sendCallback (side: CallbackSide, callback: Pick<QueuedCallback, 'paymentId' | 'kind' | 'url' | 'params'>): Promise<boolean> {
  const queued = await insertCallback(side.db, callback, leaseMs(side))
  try {
    return await attempt(side, queued)
  } catch (error) {
    side.log.error({ err: error, callbackId: queued.id }, 'sandbox bank: first callback attempt failed; the poller retries it')
    return false
  }
}

/** Claims and attempts the callbacks due now; returns how many were claimed. */
export async function deliverDueCallbacks (side: CallbackSide, signal?: AbortSignal): Promise<number> {
  const due = await claimDueCallbacks(side.db, CLAIM_BATCH, leaseMs(side))
  const attempts = await Promise.allSettled(due.map(async (callback) => await attempt(side, callback, signal)))
  for (const result of attempts) {
    if (result.status === 'rejected') side.log.error({ err: result.reason }, 'sandbox bank: callback attempt failed; it is retried when its claim runs out')
  }
  return due.length
}

export interface CallbackPoller {
  /** Stops polling, aborts the calls under way and waits for the round to end. */
  stop: () => Promise<void>
}

/** Polls for due callbacks on an unref'd timer; a failed round is logged and the next one tries again. */
export function startCallbackPoller (side: CallbackSide, intervalMs = DEFAULT_POLL_INTERVAL_MS): CallbackPoller {
  const stopping = new AbortController()
  let round: Promise<void> | null = null
  const poll = (): void => {
    if (round !== null || stopping.signal.aborted) return
    round = (async () => {
      try {
        // a full batch means more may be due
        while (!stopping.signal.aborted && await deliverDueCallbacks(side, stopping.signal) === CLAIM_BATCH);
      } catch (error) {
        side.log.error({ err: error }, 'sandbox bank: callback poll failed; the next one tries again')
      } finally {
        round = null
      }
    })()
  }
  const timer = setInterval(poll, intervalMs)
  timer.unref()
  return {
    stop: async () => {
      clearInterval(timer)
      stopping.abort()
      await round
    }
  }
}
