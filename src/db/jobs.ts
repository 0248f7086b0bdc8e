// Enqueues a graphile-worker job with plain SQL, inside the caller's
// transaction: the job exists exactly when the change that needs it commits.
// Jobs with the same `queueName` never run at the same time (across every
// worker process); a job waiting for its retry does not hold the queue.
// It lives in db, below every module, so a module queues its jobs without
// importing jobs/ (the worker and its task list: the top layer).
import { sql } from 'kysely'
import type { Kysely, Transaction } from 'kysely'

export async function enqueueJob (
  db: Kysely<any> | Transaction<any>,
  task: string,
  payload: Record<string, unknown>,
  options: { maxAttempts?: number, runAt?: Date, jobKey?: string, queueName?: string } = {}
): Promise<void> {
  await sql`select graphile_worker.add_job(
    ${task},
    ${JSON.stringify(payload)}::json,
    queue_name := ${options.queueName ?? null}::text,
    max_attempts := ${options.maxAttempts ?? 10},
    run_at := ${options.runAt ?? null}::timestamptz,
    job_key := ${options.jobKey ?? null}
  )`.execute(db)
}

/**
 * Thrown by a long job that stopped at a safe point (between two committed
 * batches) because the process is shutting down. graphile-worker puts the
 * job back with its usual backoff, and it resumes where it stopped.
 */
export class JobInterrupted extends Error {
  constructor (what: string) {
    super(`${what} stopped for a shutdown; it resumes where it stopped`)
    this.name = 'JobInterrupted'
  }
}
