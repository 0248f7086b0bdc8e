import { endpointsFor, insertDelivery } from './repository.js'
import { uuidv7 } from '../../lib/ids.js'
import { enqueueJob } from '../../db/jobs.js'
import type { Trx } from '../../db/database.js'

export const WEBHOOK_DELIVERY_TASK = 'webhook-deliver'
// Job-level retries only cover a crash or an unreachable database during an
// attempt; the retry schedule itself is kept by the delivery (delivery.ts).
const JOB_MAX_ATTEMPTS = 25

export function deliveryJobKey (deliveryId: string): string {
  return `webhook:${deliveryId}`
}

/**
 * Queues the attempt of a delivery at `runAt` (now by default). The same key replaces a waiting job. No named queue:
 * one per delivery grew graphile-worker's queue table by a row a delivery, forever, and every job fetch paid for it
 * (DESIGN 24). A manual retry while an attempt runs may send the event twice, with the same `webhook-id`, which is
 * what receivers deduplicate on; the second outcome is recorded as an attempt and changes nothing else
 * (delivery.ts).
 */
export async function queueAttempt (
  db: Parameters<typeof enqueueJob>[0], deliveryId: string, runAt?: Date
): Promise<void> {
  await enqueueJob(db, WEBHOOK_DELIVERY_TASK, { deliveryId }, {
    maxAttempts: JOB_MAX_ATTEMPTS,
    jobKey: deliveryJobKey(deliveryId),
    ...(runAt !== undefined ? { runAt } : {})
  })
}

/**
 * In the event's transaction: one delivery (and its job) per enabled
 * endpoint that wants this event. A partner's endpoint receives only its
 * creditors' events; the agency's own endpoints (no creditors) receive all.
 */
export async function queueDeliveries (
  trx: Trx, event: { id: string, type: string, creditorId: string | null }
): Promise<number> {
  const endpoints = await endpointsFor(trx, event)
  for (const endpointId of endpoints) await queueDelivery(trx, endpointId, event.id)
  return endpoints.length
}

/**
 * A new delivery of the event to the endpoint, and its first attempt's job, in the caller's transaction: the fan-out
 * above, a test event and a redelivery (webhook-tools.ts). Returns the delivery's id.
 */
export async function queueDelivery (trx: Trx, endpointId: string, eventId: string): Promise<string> {
  const id = uuidv7()
  await insertDelivery(trx, { id, endpoint_id: endpointId, event_id: eventId })
  await queueAttempt(trx, id)
  return id
}
