import { sql } from 'kysely'
import { uuidv7 } from '../../lib/ids.js'
import { enqueueJob } from '../../jobs/queue.js'
import type { Trx } from '../../db/database.js'

export const WEBHOOK_DELIVERY_TASK = 'webhook-deliver'
// Job-level retries only cover a crash or an unreachable database during an
// attempt; the retry schedule itself is kept by the delivery (delivery.ts).
const JOB_MAX_ATTEMPTS = 25

export function deliveryJobKey (deliveryId: string): string {
  return `webhook:${deliveryId}`
}

/**
 * Queues the attempt of a delivery at `runAt` (now by default). The same key
 * replaces a waiting job, and the delivery's own queue keeps two attempts
 * (a manual retry while one runs) from overlapping.
 */
export async function queueAttempt (db: Parameters<typeof enqueueJob>[0], deliveryId: string, runAt?: Date): Promise<void> {
  await enqueueJob(db, WEBHOOK_DELIVERY_TASK, { deliveryId }, { maxAttempts: JOB_MAX_ATTEMPTS, jobKey: deliveryJobKey(deliveryId), queueName: deliveryJobKey(deliveryId), ...(runAt !== undefined ? { runAt } : {}) })
}

/**
 * In the event's transaction: one delivery (and its job) per enabled
 * endpoint that wants this event. A partner's endpoint receives only its
 * creditors' events; the agency's own endpoints (no creditors) receive all.
 */
export async function queueDeliveries (trx: Trx, event: { id: string, type: string, creditor: string | null }): Promise<number> {
  const db = trx
  const endpoints = await db.selectFrom('webhook_endpoints').select('id')
    .where('status', '=', 'enabled')
    .where((eb) => event.creditor === null
      ? eb('creditors', 'is', null)
      : eb.or([eb('creditors', 'is', null), sql<boolean>`${event.creditor}::text = any(creditors)`]))
    .where((eb) => eb.or([sql<boolean>`'*' = any(enabled_events)`, sql<boolean>`${event.type}::text = any(enabled_events)`]))
    .execute()
  for (const endpoint of endpoints) {
    const id = uuidv7()
    await db.insertInto('webhook_deliveries').values({ id, endpoint_id: endpoint.id, event_id: event.id, next_attempt_at: new Date() }).execute()
    await queueAttempt(trx, id)
  }
  return endpoints.length
}
