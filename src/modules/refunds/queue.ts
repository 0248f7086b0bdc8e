import type { Kysely, Transaction } from 'kysely'
import { enqueueJob } from '../../db/jobs.js'

export const REFUND_TASK = 'refund-execute'

/**
 * Every refund and return of one payment runs in one graphile-worker queue,
 * named after the payment: two of them are never at the bank at the same
 * time, whichever worker process picks them up.
 */
export function refundQueueName (paymentId: string): string {
  return `refunds:${paymentId}`
}

/** One job per refund: queueing it again (a retry, a wait) replaces the waiting job, and the sweep finds it by key. */
export function refundJobKey (refundId: string): string {
  return `refund:${refundId}`
}

export async function queueRefund (
  db: Kysely<any> | Transaction<any>,
  refund: { id: string, payment_id: string },
  options: { maxAttempts: number, runAt?: Date, waits?: number }
): Promise<void> {
  await enqueueJob(db, REFUND_TASK, {
    refundId: refund.id,
    ...(options.waits === undefined ? {} : { waits: options.waits })
  }, {
    maxAttempts: options.maxAttempts,
    queueName: refundQueueName(refund.payment_id),
    jobKey: refundJobKey(refund.id),
    ...(options.runAt === undefined ? {} : { runAt: options.runAt })
  })
}
