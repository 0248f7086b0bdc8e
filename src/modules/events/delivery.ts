// The worker's part (docs/architecture.md, partners, events and webhooks, Standard Webhooks): one attempt of
// one delivery per job. The event is POSTed as `{type, timestamp, data}`
// with `webhook-id` (the event id, the same on every attempt, so the
// receiver dedupes), `webhook-timestamp` and `webhook-signature`. Only a 2xx
// succeeds. A failure is retried on the schedule (WEBHOOK_RETRY_SCHEDULE),
// later if a 429 asks for it with Retry-After; 410 disables the endpoint;
// failing for 5 days in a row disables it too. The attempt, the next job
// and the endpoint's state are written in one transaction, so a crash
// between the POST and that commit sends it again (at least once) rather
// than never. The outcome of the HTTP call is a value: a bad endpoint can never
// fail the job or the process.
import type { FastifyBaseLogger } from 'fastify'
import type { Database } from '../../db/database.js'
import type { Config } from '../../config.js'
import type { PiiCipher } from '../../lib/crypto.js'
import { toPublicId } from '../../lib/ids.js'
import { recordAudit } from '../audit/service.js'
import { queueAttempt } from './fan-out.js'
import { postWebhook, type SendResult } from './http-client.js'
import { signatureHeader } from './signature.js'
import {
  failPendingDeliveries, findDelivery, findEndpoint, findEvent, insertAttempt, updateDelivery, updateEndpoint
} from './repository.js'
import { deliveryView, type EventNames } from './service.js'
import type { EndpointRow } from './tables.js'

export interface DeliveryDeps {
  db: Database
  pii: PiiCipher
  names: EventNames
  log: FastifyBaseLogger
  config: Pick<Config['webhooks'], 'retrySchedule' | 'timeoutMs' | 'allowPrivateUrls'>
  now?: () => Date
}

const FAILING_DAYS_BEFORE_DISABLE = 5
const DAY_MS = 24 * 60 * 60 * 1000
// A Retry-After beyond this is not believed: the schedule's last step is a day.
const MAX_RETRY_AFTER_SECONDS = 24 * 60 * 60

const SYSTEM = { keyId: null, requestId: 'webhook-worker', ip: 'local' }

function secretsOf (pii: PiiCipher, endpoint: EndpointRow, now: Date): string[] {
  const secrets = [pii.decrypt(endpoint.secret_encrypted)]
  if (endpoint.previous_secret_encrypted !== null && endpoint.previous_secret_expires_at !== null &&
    endpoint.previous_secret_expires_at > now) {
    secrets.push(pii.decrypt(endpoint.previous_secret_encrypted))
  }
  return secrets
}

/** Seconds until the next attempt after `failures` failed ones, or null when the schedule is exhausted. */
export function nextDelaySeconds (schedule: number[], failures: number, result: Pick<SendResult, 'statusCode' | 'retryAfterSeconds'>): number | null {
  const step = schedule[failures - 1]
  if (step === undefined) return null
  if (result.statusCode === 429 && result.retryAfterSeconds !== null) {
    return Math.max(step, Math.min(result.retryAfterSeconds, MAX_RETRY_AFTER_SECONDS))
  }
  return step
}

export async function deliverWebhook (deps: DeliveryDeps, deliveryId: string): Promise<void> {
  const now = deps.now ?? (() => new Date())
  const db = deps.db
  const delivery = await findDelivery(db, deliveryId)
  if (delivery === undefined || delivery.status !== 'pending') return
  const endpoint = await findEndpoint(db, delivery.endpoint_id)
  if (endpoint === undefined) return
  if (endpoint.status !== 'enabled') {
    await updateDelivery(db, delivery.id, { status: 'failed', next_attempt_at: null, completed_at: now() })
    return
  }
  const event = await findEvent(deps.db, delivery.event_id)
  if (event === undefined) return
  const view = await deliveryView(deps, event, endpoint.creditors === null ? 'admin' : 'partner')
  const body = JSON.stringify({ type: view.type, timestamp: view.createdAt, data: view.data })
  const attemptedAt = now()
  const timestamp = Math.floor(attemptedAt.getTime() / 1000)
  const headers = {
    'webhook-id': view.id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': signatureHeader(secretsOf(deps.pii, endpoint, attemptedAt), view.id, timestamp, body)
  }
  const result = await postWebhook(endpoint.url, headers, body, {
    timeoutMs: deps.config.timeoutMs,
    allowPrivate: deps.config.allowPrivateUrls
  })
  await recordOutcome(deps, { deliveryId: delivery.id, endpointId: endpoint.id, eventId: view.id, attemptedAt, result })
}

async function recordOutcome (
  deps: DeliveryDeps,
  attempt: { deliveryId: string, endpointId: string, eventId: string, attemptedAt: Date, result: SendResult }
): Promise<void> {
  const { result, attemptedAt } = attempt
  const endpointPublicId = toPublicId('webhookEndpoint', attempt.endpointId)
  await deps.db.transaction().execute(async (trx) => {
    const db = trx
    const endpoint = await findEndpoint(db, attempt.endpointId, { forUpdate: true })
    const delivery = await findDelivery(db, attempt.deliveryId, { forUpdate: true })
    if (endpoint === undefined || delivery === undefined) return
    const failures = delivery.attempts + 1
    const recordAttempt = async (nextRetryAt: Date | null): Promise<void> => {
      await insertAttempt(db, {
        delivery_id: delivery.id,
        attempted_at: attemptedAt,
        status_code: result.statusCode,
        duration_ms: result.durationMs,
        error: result.error,
        next_retry_at: nextRetryAt
      })
    }
    // an attempt that overlapped another (a manual retry while one ran) and ended second: the first outcome stands
    if (delivery.status !== 'pending') { await recordAttempt(null); return }
    let nextRetryAt: Date | null = null
    const ok = result.statusCode !== null && result.statusCode >= 200 && result.statusCode < 300
    const disable = async (reason: string): Promise<void> => {
      await updateEndpoint(db, endpoint.id, { status: 'disabled', disabled_reason: reason })
      await failPendingDeliveries(db, endpoint.id)
      await recordAudit(trx, SYSTEM, { action: 'webhook_endpoint.disabled', entityType: 'webhook_endpoint', entityId: endpointPublicId, details: { reason, statusCode: result.statusCode, eventId: attempt.eventId } })
      deps.log.warn({ endpointId: endpointPublicId, reason }, 'webhook endpoint disabled')
    }
    if (ok) {
      await updateDelivery(db, delivery.id, { status: 'succeeded', attempts: failures, next_attempt_at: null, completed_at: attemptedAt })
      if (endpoint.failing_since !== null) await updateEndpoint(db, endpoint.id, { failing_since: null })
    } else if (result.statusCode === 410) {
      await updateDelivery(db, delivery.id, { status: 'failed', attempts: failures, next_attempt_at: null, completed_at: attemptedAt })
      if (endpoint.status === 'enabled') await disable('the endpoint answered 410 Gone')
    } else {
      const failingSince = endpoint.failing_since ?? attemptedAt
      if (endpoint.failing_since === null) await updateEndpoint(db, endpoint.id, { failing_since: failingSince })
      const delay = nextDelaySeconds(deps.config.retrySchedule, failures, result)
      if (attemptedAt.getTime() - failingSince.getTime() >= FAILING_DAYS_BEFORE_DISABLE * DAY_MS) {
        await updateDelivery(db, delivery.id, { status: 'failed', attempts: failures, next_attempt_at: null, completed_at: attemptedAt })
        if (endpoint.status === 'enabled') await disable(`failing for ${FAILING_DAYS_BEFORE_DISABLE} days in a row`)
      } else if (delay === null) {
        await updateDelivery(db, delivery.id, { status: 'failed', attempts: failures, next_attempt_at: null, completed_at: attemptedAt })
      } else {
        nextRetryAt = new Date(attemptedAt.getTime() + delay * 1000)
        await updateDelivery(db, delivery.id, { attempts: failures, next_attempt_at: nextRetryAt })
        await queueAttempt(trx, delivery.id, nextRetryAt)
      }
    }
    await recordAttempt(nextRetryAt)
  })
  if (!(result.statusCode !== null && result.statusCode >= 200 && result.statusCode < 300)) {
    deps.log.info({ endpointId: endpointPublicId, eventId: attempt.eventId, statusCode: result.statusCode, error: result.error }, 'webhook attempt failed')
  }
}
